import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../core/config.js';
import { ROOT } from '../local/definitions.js';

/** deploy/config.cjs: the same region check `serverless package` makes. */
const regionProblems = (doc: unknown, region: string): string[] =>
  (createRequire(import.meta.url)(join(ROOT, 'deploy', 'config.cjs')) as { regionProblems: (d: unknown, r: string) => string[] }).regionProblems(doc, region);

/** deploy/iam.cjs: the largest function role policy the config gives, and why it cannot be created (over IAM's limit). */
const policyProblem = (doc: unknown): string | null =>
  (createRequire(import.meta.url)(join(ROOT, 'deploy', 'iam.cjs')) as { largestPolicy: (d: unknown) => { problem: string | null } }).largestPolicy(doc).problem;

/** deploy/template-size.cjs: why the config's template would exceed CloudFormation's resource limit, or null. */
const resourceProblem = (doc: unknown): string | null =>
  (createRequire(import.meta.url)(join(ROOT, 'deploy', 'template-size.cjs')) as { resourceProblem: (d: unknown) => string | null }).resourceProblem(doc);

/** Validate the config; with a region (--region, or AWS_REGION), every ARN in it must be of that region. */
export function checkConfig(file: string, region?: string, json = false): number {
  // --json: one document, {ok, file, apps} or {ok: false, file, error}.
  const fail = (error: string) => {
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, file, error })}\n`);
    else process.stderr.write(`${file}: ${error}\n`);
    return 1;
  };
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return fail((e as Error).message);
  }
  try {
    const config = parseConfig(doc);
    const elsewhere = region ? regionProblems(doc, region) : [];
    if (elsewhere.length) return fail(elsewhere.join('; '));
    // The stack's roles name each configured resource: too many apps and IAM refuses a role.
    const tooBig = policyProblem(doc);
    if (tooBig) return fail(tooBig);
    // Its template must fit CloudFormation's 500 resources (lifecycle hooks grow with scaled apps).
    const tooMany = resourceProblem(doc);
    if (tooMany) return fail(tooMany);
    const apps = Object.entries(config.apps).map(([name, app]) => ({
      name,
      kind: app.kind,
      route: app.kind === 'eip' ? `Elastic IP ${app.allocationId}, stamp ${app.stamp}` : `${app.ruleArn ? 'rule' : 'listener'} route`,
      artifacts: app.kind === 'ecs' ? `${app.capacity} capacity` : `${app.artifact.type} artifacts`,
    }));
    if (json) process.stdout.write(`${JSON.stringify({ ok: true, file, apps })}\n`);
    else for (const a of apps) process.stdout.write(`ok  ${a.name}: ${a.kind}, ${a.route}, ${a.artifacts}\n`);
    return 0;
  } catch (e) {
    return fail((e as Error).message);
  }
}
