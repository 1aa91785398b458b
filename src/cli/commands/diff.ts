import { createTwoFilesPatch } from 'diff';
import { launchTemplateVersions } from '../../aws/ec2.js';
import { describeServices, describeTaskDefinition } from '../../aws/ecs.js';
import type { Colour } from '../../core/config.js';
import { side } from '../../steps/sides.js';
import type { Account } from '../account.js';
import type { PlannedCall } from '../dryrun.js';
import { plan } from './plan.js';
import { app, type Result } from './shared.js';

// `greenlight diff <app> <version>`: what a release would change against live, as a unified diff.

export async function diff(account: Account, name: string, version: string): Promise<Result> {
  const a = app(account, name);
  const planned = await plan(account, name, version);
  const doc = planned.json as { rejected?: string; alreadyLive?: boolean; plan?: { live: { colour: string; version: string | null } & Record<string, unknown>; idle: { colour: string } }; phases?: { calls: PlannedCall[] }[] };
  if (doc.rejected || doc.alreadyLive || !doc.plan) return { ...planned, text: doc.alreadyLive ? `${name} ${version} is live already: no difference\n` : planned.text };
  const calls = (doc.phases ?? []).flatMap((ph) => ph.calls);
  const { live, idle } = doc.plan;
  const from = `live: ${name} ${live.colour} ${live.version ?? '(not released by greenlight)'}`;
  const to = `release: ${name} ${version} (onto ${idle.colour})`;
  let before: string;
  let after: string;
  if (a.kind === 'ecs') {
    const register = calls.find((c) => c.command === 'RegisterTaskDefinition');
    if (!register) return { code: 0, text: `${name} ${version}: the release registers no new task definition (no difference)\n`, json: { diff: '' } };
    const s = side(a, live.colour as Colour);
    const svc = (await describeServices(account.clients.ecs, s.cluster!, [s.serviceName!])).get(s.serviceName!);
    const td = svc ? await describeTaskDefinition(account.clients.ecs, svc.taskDefinition) : null;
    const { taskDefinitionArn: _a, revision: _r, status: _s, requiresAttributes: _q, compatibilities: _c, registeredAt: _t, registeredBy: _b, deregisteredAt: _d, ...liveDef } = (td?.definition ?? {}) as Record<string, unknown>;
    const { tags: newTags, ...newDef } = register.input as Record<string, unknown>;
    before = stableJson({ ...liveDef, tags: Object.entries(td?.tags ?? {}).map(([key, value]) => ({ key, value })) });
    after = stableJson({ ...newDef, tags: newTags ?? [] });
  } else {
    const create = calls.find((c) => c.command === 'CreateLaunchTemplateVersion');
    if (!create) return { code: 0, text: `${name} ${version}: the release creates no launch template version (no difference)\n`, json: { diff: '' } };
    const input = create.input as { SourceVersion?: string; VersionDescription?: string; LaunchTemplateData?: { ImageId?: string; UserData?: string } };
    const [src] = await launchTemplateVersions(account.clients.ec2, a.launchTemplateId, [input.SourceVersion ?? '$Default']);
    const text = (v: { description?: string; imageId?: string; userData?: string }) =>
      [`VersionDescription: ${v.description ?? ''}`, `ImageId: ${v.imageId ?? ''}`, 'UserData:', ...(v.userData ? Buffer.from(v.userData, 'base64').toString('utf8').split('\n').map((l) => `  ${l}`) : [])].join('\n');
    before = text(src ?? {});
    after = text({ description: input.VersionDescription, imageId: input.LaunchTemplateData?.ImageId ?? src?.imageId, userData: input.LaunchTemplateData?.UserData ?? src?.userData });
  }
  const patch = createTwoFilesPatch(from, to, `${before}\n`, `${after}\n`, undefined, undefined, { context: 3 });
  const changed = before !== after;
  return { code: 0, text: changed ? patch : `${name} ${version}: no difference in ${a.kind === 'ecs' ? 'the task definition' : 'the launch template'}\n`, json: { app: name, version, live, idle, changed, diff: changed ? patch : '' } };
}

/** JSON with sorted keys, two-space indented: a diff shows what changed, not what moved. */
function stableJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])])) : x;
  return JSON.stringify(sort(v), null, 2);
}
