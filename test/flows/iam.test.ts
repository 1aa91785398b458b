import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ROOT } from '../../src/local/definitions.js';
import { loadScenarioFile, simulate } from '../../src/local/simulate.js';
import { changesInfrastructure } from '../../src/local/transport.js';
import { AUTHZ } from '../../src/sim/authz.js';
import { actionData } from '../../src/sim/iam.js';
import { runShipped } from './helpers.js';

// The simulator enforces the stack's IAM: each function's calls are authorized against the
// statements deploy/iam.cjs generates, as AWS evaluates them.
const withoutStatements = (name: string, removeStatements: string[]) => {
  const scenario = loadScenarioFile(join(ROOT, 'scenarios', `${name}.yml`));
  return { ...scenario, iam: { ...scenario.iam, removeStatements } };
};

describe('Flow: IAM enforced in the simulator', () => {
  it('asg-instance-profile: a launch template with an instance profile and tags releases under the stack\'s policy', async () => {
    const { summary: s, calls, world } = await runShipped('asg-instance-profile');
    expect(s).toMatchObject({ outcome: 'released', liveVersion: '2.1.0', accessDenied: 0, invariantViolations: [] });
    // Green's group was pointed at a version of the template that carries the profile and the tags.
    expect(calls.some((c) => c.command === 'UpdateAutoScalingGroup' && c.caller === 'prepareGreen' && !c.error)).toBe(true);
    const lt = [...world.launchTemplates.values()][0];
    expect(lt.versions.get(lt.latestVersion)!.data).toMatchObject({ IamInstanceProfile: { Name: 'web-instance' }, TagSpecifications: expect.any(Array) });
  });

  it.each([
    ['PassInstanceProfileRoles', /not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role\/web-instance-role .*fix: list arn:aws:iam::123456789012:role\/web-instance-role in the app's passRoles/],
    ['LaunchFromConfiguredTemplates', /not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance\/\*/],
    ['LaunchReleaseImagesFromConfiguredTemplates', /not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1::image\//],
    ['TagOnLaunch', /not authorized to perform: ec2:CreateTags on resource: arn:aws:ec2:us-east-1:123456789012:instance\/\*/],
    ['ScaleConfiguredGroups', /not authorized to perform: autoscaling:UpdateAutoScalingGroup on resource: arn:aws:autoscaling:.*autoScalingGroupName\/web-green/],
  ])('without statement %s the simulator answers AccessDenied and the release fails clearly, changing nothing', async (sid, reason) => {
    const { summary: s, calls } = await simulate(withoutStatements('asg-instance-profile', [sid]));
    expect(s.accessDenied).toBeGreaterThan(0);
    expect(s.outcome).toBe('rolled-back');
    expect(s.liveVersion).toBe('2.0.9');
    expect(s.reason).toMatch(reason);
    // The denied call changed nothing; the release changed nothing else in the app's infrastructure.
    expect(calls.filter((c) => changesInfrastructure(c) && !c.error && c.command !== 'CreateLaunchTemplateVersion')).toEqual([]);
  });

  it('without the table statement, the lock cannot be taken: AccessDenied from DynamoDB, nothing changes', async () => {
    const { summary: s, calls } = await simulate(withoutStatements('asg-release', ['LocksAndHistory']));
    expect(s.accessDenied).toBeGreaterThan(0);
    expect(calls.filter((c) => changesInfrastructure(c) && !c.error)).toEqual([]);
  });

  it('every action the simulator authorizes and every action the stack allows exists in AWS\'s reference', () => {
    const probe = { launchTemplates: new Map(), instances: new Map(), groups: new Map(), elb: { rules: new Map() }, images: new Map(), instanceProfiles: new Map(), resolveVersion: () => ({ data: {} }), tagsOf: () => ({}) };
    const sample: Record<string, unknown> = { InstanceIds: ['i-1'], services: ['s'], containerInstances: ['c'], tasks: ['t'], Entries: [{ Source: 'greenlight' }], LaunchTemplate: { LaunchTemplateId: 'lt-1' }, Tags: [{ Key: 'k', Value: 'v' }], tags: [{ key: 'k', value: 'v' }], taskRoleArn: 'arn:aws:iam::1:role/r', TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'k', Value: 'v' }] }] };
    const actions = new Set<string>();
    for (const [, commands] of Object.entries(AUTHZ))
      for (const [, build] of Object.entries(commands)) for (const r of build(sample as never, probe as never)) actions.add(r.action);
    const doc = parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8'));
    const { statementsFor } = createRequire(import.meta.url)(join(ROOT, 'deploy', 'iam.cjs'));
    for (const st of statementsFor(doc)) for (const a of [st.Action].flat() as string[]) actions.add(a);
    const unknown = [...actions].filter((a) => !actionData(a));
    expect({ unknown, checked: actions.size > 50 }).toEqual({ unknown: [], checked: true });
  });

  it('RunInstances, as modelled, names every resource type AWS requires for it', () => {
    const probe = { launchTemplates: new Map(), instanceProfiles: new Map(), resolveVersion: () => ({ data: {} }), tagsOf: () => ({}) };
    const reqs = AUTHZ.ec2.RunInstances({ LaunchTemplate: { LaunchTemplateId: 'lt-1' } }, probe as never).filter((r) => r.action === 'ec2:RunInstances');
    const types = new Set(reqs.map((r) => /:([a-z-]+)\/[^/]*$/.exec(r.resource)![1]));
    const required = actionData('ec2:RunInstances')!.resourceTypes.filter((t) => t.required).map((t) => t.name);
    for (const t of required) expect({ t, named: types.has(t) }).toEqual({ t, named: true });
  });

  it('each function calls with its own role: the same listener change is allowed for switchTraffic and denied for dispatch and plan', async () => {
    const { functionPolicies } = await import('../../src/local/iam-policy.js');
    const { evaluate } = await import('../../src/sim/iam.js');
    const doc = parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8'));
    const names = { bucket: 'b', table: 't', topicArn: 'arn:aws:sns:us-east-1:123456789012:t', releaseStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:r', capacityStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:c' };
    const roles = functionPolicies(doc, names);
    expect(roles.size).toBe(25);
    const modify = { action: 'elasticloadbalancing:ModifyListener', resource: doc.apps.web.listenerArn };
    const allowed = Object.fromEntries(['switchTraffic', 'rollback', 'guard', 'dispatch', 'plan', 'resolve', 'finish'].map((fn) => [fn, evaluate(roles.get(fn)!, modify).allowed]));
    expect(allowed).toEqual({ switchTraffic: true, rollback: true, guard: true, dispatch: false, plan: false, resolve: false, finish: false });
  });

  it('cloudwatch:GetMetricData (judge:) is in switchTraffic\'s role only, and only when some app judges its canary', async () => {
    const { functionPolicies } = await import('../../src/local/iam-policy.js');
    const { evaluate } = await import('../../src/sim/iam.js');
    const doc = parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8'));
    const names = { bucket: 'b', table: 't', topicArn: 'arn:aws:sns:us-east-1:123456789012:t', releaseStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:r', capacityStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:c' };
    const read = { action: 'cloudwatch:GetMetricData', resource: '*' };
    const allowedIn = (d: unknown) => [...functionPolicies(d, names)].filter(([, role]) => evaluate(role, read).allowed).map(([fn]) => fn);
    expect(Object.values(doc.apps).some((a) => (a as { judge?: unknown }).judge)).toBe(false);
    expect(allowedIn(doc)).toEqual([]);
    const judged = structuredClone(doc);
    Object.assign(judged.apps.web, { traffic: { strategy: 'canary', percent: 10, bakeSeconds: 600 }, judge: {} });
    expect(allowedIn(judged)).toEqual(['switchTraffic']);
  });

  it('an eip server is launched only with its app\'s tag on it (tags on create): without it, or with another app\'s, an explicit deny', async () => {
    const { functionPolicies } = await import('../../src/local/iam-policy.js');
    const { evaluate } = await import('../../src/sim/iam.js');
    const { requestsOf } = await import('../../src/sim/authz.js');
    const doc = parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8'));
    const names = { bucket: 'b', table: 't', topicArn: 'arn:aws:sns:us-east-1:123456789012:t', releaseStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:r', capacityStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:c' };
    const role = functionPolicies(doc, names).get('prepareGreen')!;
    const lt = doc.apps.site.launchTemplateId;
    const probe = { launchTemplates: new Map(), instanceProfiles: new Map(), resolveVersion: () => ({ data: {} }), tagsOf: () => ({}) };
    const launch = (tags: { Key: string; Value: string }[]) => {
      const reqs = requestsOf('ec2', 'RunInstances', { LaunchTemplate: { LaunchTemplateId: lt, Version: '1' }, ...(tags.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}) }, probe as never)!;
      return reqs.filter((r) => r.action === 'ec2:RunInstances').map((r) => evaluate(role, r)).find((d) => !d.allowed) ?? { allowed: true };
    };
    expect(launch([{ Key: 'greenlight:app', Value: 'site' }])).toEqual({ allowed: true });
    expect(launch([])).toEqual({ allowed: false, explicit: true, statement: 'TagServersOnLaunch' });
    expect(launch([{ Key: 'greenlight:app', Value: 'web' }])).toEqual({ allowed: false, explicit: true, statement: 'TagServersOnLaunch' });
  });

  // iam.scope: tags (deploy/iam.cjs): the policies allow changes to any resource of a type that
  // carries greenlight:stack=<stack>. The scenario builder tags every configured resource (the
  // operator's job), except those a run leaves untagged.
  const tagged = (name: string, untagged: string[] = []) => {
    const scenario = loadScenarioFile(join(ROOT, 'scenarios', `${name}.yml`));
    return { ...scenario, iam: { ...scenario.iam, scope: 'tags' as const, untagged } };
  };

  it.each([
    ['asg-release', 'released', '1.4.2'],
    ['ecs-scale-during-release', 'released', '8.1.0'],
    ['eip-image-release', 'released', '2.5.0'],
    ['asg-replace-instance', null, null],
  ])('iam.scope: tags, every configured resource tagged: %s ends as with names, no call denied', async (name, outcome, live) => {
    const byName = (await simulate(loadScenarioFile(join(ROOT, 'scenarios', `${name}.yml`)))).summary;
    const { summary: s, calls } = await simulate(tagged(name));
    expect({ outcome: s.outcome, live: s.liveVersion, denied: s.accessDenied, violations: s.invariantViolations }).toEqual({ outcome: outcome ?? byName.outcome, live: live ?? byName.liveVersion, denied: 0, violations: [] });
    expect({ mutating: s.mutatingCalls, calls: calls.length }).toEqual({ mutating: byName.mutatingCalls, calls: byName.awsCalls });
  });

  it.each([
    ['asg-release', 'web-green', /autoscaling:UpdateAutoScalingGroup on resource: arn:aws:autoscaling:.*autoScalingGroupName\/web-green .*tag arn:aws:autoscaling:\S+ greenlight:stack=/],
    ['asg-release', 'launch-template:web', /ec2:CreateLaunchTemplateVersion on resource: arn:aws:ec2:us-east-1:123456789012:launch-template\/lt-/],
  ])('iam.scope: tags, %s with %s left untagged: AccessDenied, the release fails clearly and the live colour is untouched', async (name, untagged, reason) => {
    const { summary: s, calls } = await simulate(tagged(name, [untagged]));
    expect(s.accessDenied).toBeGreaterThan(0);
    expect(s.outcome).toBe('rolled-back');
    expect(s.liveVersion).toBe('1.4.1');
    expect(s.reason).toMatch(reason);
    expect(calls.filter((c) => changesInfrastructure(c) && !c.error && c.command !== 'CreateLaunchTemplateVersion')).toEqual([]);
  });

  it('iam.scope: tags, an ECS capacity group left untagged: its lifecycle actions are denied and nothing else is changed', async () => {
    const { summary: s, calls } = await simulate(tagged('ecs-scale-out', ['api-blue-capacity']));
    expect(s.accessDenied).toBeGreaterThan(0);
    const denied = calls.filter((c) => c.error === 'AccessDenied' || c.error === 'AccessDeniedException');
    expect(new Set(denied.map((c) => c.command))).toEqual(new Set(['CompleteLifecycleAction']));
  });
});
