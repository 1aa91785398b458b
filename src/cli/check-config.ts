import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../local/definitions.js';
import { parseConfig } from '../core/config.js';

/** deploy/config.cjs: the same region check `serverless package` makes. */
const regionProblems = (doc: unknown, region: string): string[] =>
  (createRequire(import.meta.url)(join(ROOT, 'deploy', 'config.cjs')) as { regionProblems: (d: unknown, r: string) => string[] }).regionProblems(doc, region);

/** Validate the config; with a region (--region, or AWS_REGION), every ARN in it must be of that region. */
export function checkConfig(file: string, region?: string): number {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`${file}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const config = parseConfig(doc);
    const elsewhere = region ? regionProblems(doc, region) : [];
    if (elsewhere.length) {
      process.stderr.write(`${file}: ${elsewhere.join('; ')}\n`);
      return 1;
    }
    for (const [name, app] of Object.entries(config.apps))
      process.stdout.write(
        `ok  ${name}: ${app.kind}, ${app.kind === 'eip' ? `Elastic IP ${app.allocationId}, stamp ${app.stamp}` : `${app.ruleArn ? 'rule' : 'listener'} route`}, ${app.kind === 'ecs' ? `${app.capacity} capacity` : `${app.artifact.type} artifacts`}\n`,
      );
    return 0;
  } catch (e) {
    process.stderr.write(`${file}: ${(e as Error).message}\n`);
    return 1;
  }
}
