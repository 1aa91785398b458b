import { describe, expect, it } from '@jest/globals';
import { actionData, evaluate, isMultivalued, type Statement } from '../../src/sim/iam.js';

// The simulator's IAM evaluation, case by case against AWS's documented logic.
describe('IAM evaluation (src/sim/iam.ts)', () => {
  const allow = (s: Partial<Statement>): Statement => ({ Effect: 'Allow', ...s });
  it('allows only a matching action and resource; an explicit Deny wins', () => {
    const p = [allow({ Action: 'elasticloadbalancing:Modify*', Resource: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/*' })];
    expect(evaluate(p, { action: 'elasticloadbalancing:ModifyListener', resource: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/x/y' }).allowed).toBe(true);
    expect(evaluate(p, { action: 'ElasticLoadBalancing:modifylistener', resource: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/x/y' }).allowed).toBe(true); // actions: case-insensitive
    expect(evaluate(p, { action: 'elasticloadbalancing:ModifyListener', resource: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/b/x/y' })).toEqual({ allowed: false, explicit: false });
    expect(evaluate(p, { action: 'elasticloadbalancing:DeleteListener', resource: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/x/y' }).allowed).toBe(false);
    const denied = evaluate([...p, { Sid: 'NoA', Effect: 'Deny', Action: '*', Resource: '*/a/*' }], { action: 'elasticloadbalancing:ModifyListener', resource: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/x/y' });
    expect(denied).toEqual({ allowed: false, explicit: true, statement: 'NoA' });
  });
  it('NotAction and NotResource', () => {
    const p = [allow({ NotAction: 'iam:*', NotResource: 'arn:aws:s3:::secret/*' })];
    expect(evaluate(p, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }).allowed).toBe(true);
    expect(evaluate(p, { action: 'iam:PassRole', resource: 'arn:aws:iam::1:role/r' }).allowed).toBe(false);
    expect(evaluate(p, { action: 's3:GetObject', resource: 'arn:aws:s3:::secret/k' }).allowed).toBe(false);
  });
  it('conditions: every key of every operator must hold; values of one key are ORed', () => {
    const p = [allow({ Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ecs-tasks.amazonaws.com'] } } })];
    expect(evaluate(p, { action: 'iam:PassRole', resource: 'r', context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }).allowed).toBe(true);
    expect(evaluate(p, { action: 'iam:PassRole', resource: 'r', context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }).allowed).toBe(false);
    expect(evaluate(p, { action: 'iam:PassRole', resource: 'r' }).allowed).toBe(false); // absent key: no match
  });
  it('an absent key: IfExists and the negated operators hold, ForAllValues holds vacuously, ForAnyValue does not', () => {
    const req = { action: 'ec2:RunInstances', resource: '*' };
    const one = (Condition: Statement['Condition']) => evaluate([allow({ Action: '*', Resource: '*', Condition })], req).allowed;
    expect(one({ StringEqualsIfExists: { 'ec2:InstanceType': 't3.small' } })).toBe(true);
    expect(one({ StringNotEquals: { 'ec2:InstanceType': 't3.small' } })).toBe(true);
    expect(one({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } })).toBe(true);
    expect(one({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } })).toBe(false);
    expect(one({ Null: { 'ec2:InstanceType': 'true' } })).toBe(true);
    expect(one({ Null: { 'ec2:InstanceType': 'false' } })).toBe(false);
  });
  it('multivalued keys (AWS reference: ArrayOf*) need a set operator', () => {
    expect(isMultivalued('events:source')).toBe(true);
    expect(isMultivalued('iam:PassedToService')).toBe(false);
    const req = { action: 'events:PutEvents', resource: 'bus', context: { 'events:source': ['greenlight', 'someone-else'] } };
    const one = (Condition: Statement['Condition']) => evaluate([allow({ Action: 'events:PutEvents', Resource: '*', Condition })], req).allowed;
    expect(one({ StringEquals: { 'events:source': 'greenlight' } })).toBe(false);
    expect(one({ 'ForAnyValue:StringEquals': { 'events:source': ['greenlight'] } })).toBe(true);
    expect(one({ 'ForAllValues:StringEquals': { 'events:source': ['greenlight'] } })).toBe(false);
    expect(one({ 'ForAllValues:StringEquals': { 'events:source': ['greenlight', 'someone-else'] } })).toBe(true);
  });
  it('ArnLike, Bool and StringLike wildcards', () => {
    const p = [allow({ Action: 'ec2:RunInstances', Resource: '*', Condition: { ArnLike: { 'ec2:LaunchTemplate': 'arn:aws:ec2:*:*:launch-template/lt-0abc*' }, Bool: { 'ec2:IsLaunchTemplateResource': 'true' } } })];
    expect(evaluate(p, { action: 'ec2:RunInstances', resource: 'x', context: { 'ec2:LaunchTemplate': 'arn:aws:ec2:us-east-1:1:launch-template/lt-0abc12', 'ec2:IsLaunchTemplateResource': true } }).allowed).toBe(true);
    expect(evaluate(p, { action: 'ec2:RunInstances', resource: 'x', context: { 'ec2:LaunchTemplate': 'arn:aws:ec2:us-east-1:1:launch-template/lt-0abc12', 'ec2:IsLaunchTemplateResource': false } }).allowed).toBe(false);
    expect(evaluate(p, { action: 'ec2:RunInstances', resource: 'x', context: { 'ec2:LaunchTemplate': 'arn:aws:ec2:us-east-1:1:launch-template/lt-0fff', 'ec2:IsLaunchTemplateResource': true } }).allowed).toBe(false);
  });
  it('an operator it does not model is an error, not a silent allow', () => {
    expect(() => evaluate([allow({ Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01' } } })], { action: 's3:GetObject', resource: 'x' })).toThrow(/not modelled/);
  });
  it('reads AWS\'s reference: resource types per action', () => {
    expect(actionData('ec2:RunInstances')!.resourceTypes.filter((r) => r.required).map((r) => r.name).sort()).toEqual(['image', 'instance', 'network-interface', 'security-group', 'subnet']);
    expect(actionData('ec2:RunInstancez')).toBeUndefined();
  });
});

describe('Each function\'s role, derived from the calls in its bundle (src/cli/derive-iam.ts)', () => {
  it('deploy/function-actions.json is what the functions\' code calls today (run greenlight derive-iam after a change)', async () => {
    const { committedFunctionActions, deriveFunctionActions } = await import('../../src/cli/derive-iam.js');
    expect(await deriveFunctionActions()).toEqual(committedFunctionActions());
  }, 60_000);

  it('counts a command only where the bundle constructs it, and knows every client package', async () => {
    const { callsInBundle } = await import('../../src/cli/derive-iam.js');
    const code = 'import{DescribeListenersCommand as a,ModifyListenerCommand as b}from"@aws-sdk/client-elastic-load-balancing-v2";import{StartExecutionCommand}from"@aws-sdk/client-sfn";f(new a({}));g(new StartExecutionCommand({}));';
    expect(callsInBundle(code)).toEqual(['elbv2:DescribeListeners', 'sfn:StartExecution']);
    expect(() => callsInBundle('import{PutParameterCommand as p}from"@aws-sdk/client-ssm";new p({})')).toThrow(/no IAM model/);
  });

  it('a request the simulator makes for a command must be among that command\'s declared actions', async () => {
    const { actionsOf, requestsOf } = await import('../../src/sim/authz.js');
    expect(actionsOf('autoscaling', 'UpdateAutoScalingGroup')).toEqual(['autoscaling:UpdateAutoScalingGroup', 'ec2:RunInstances', 'iam:PassRole', 'ec2:CreateTags']);
    const world = { launchTemplates: new Map(), instanceProfiles: new Map(), groups: new Map(), resolveVersion: () => ({ data: {} }), tagsOf: () => ({}) };
    const reqs = requestsOf('autoscaling', 'UpdateAutoScalingGroup', { AutoScalingGroupName: 'g', LaunchTemplate: { LaunchTemplateId: 'lt-1' } }, world as never)!;
    expect(new Set(reqs.map((r) => r.action))).toEqual(new Set(['autoscaling:UpdateAutoScalingGroup', 'ec2:RunInstances']));
  });
});


describe("The roles fit IAM's size limit, or the config is refused before anything is deployed", () => {
  it('a config whose largest role policy is over 10,240 characters fails check-config and packaging, naming the roles and the fix', async () => {
    const { createRequire } = await import('node:module');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { stringify } = await import('yaml');
    const { ROOT } = await import('../../src/local/definitions.js');
    const { runCli } = await import('../cli/in-process.js');
    const require = createRequire(import.meta.url);
    const iam = require(join(ROOT, 'deploy', 'iam.cjs'));
    const { manyApps } = require(join(ROOT, 'deploy', 'many-apps.cjs'));
    const sizes = [1, 10, 30].map((n) => ({ n, ...iam.largestPolicy(manyApps(n)) }));
    // The largest role grows with the apps (each resource is named); 30 apps are over the limit.
    expect(sizes.map((s) => s.problem === null)).toEqual([true, true, false]);
    expect(sizes[2].chars).toBeGreaterThan(10_240);
    expect(sizes[2].problem).toMatch(/^30 apps give the rollback role a \d+-character policy.*IAM allows 10240 per role.*GREENLIGHT_CONFIG_FILE=<group>\.yml serverless deploy --stage <group>/);
    expect(() => iam.roleResources(manyApps(30), 'dev')).toThrow(/greenlight\.config\.yml: 30 apps give the rollback role/);
    const dir = mkdtempSync(join(tmpdir(), 'greenlight-many-'));
    for (const n of [10, 30]) writeFileSync(join(dir, `${n}.yml`), stringify(manyApps(n)));
    expect((await runCli(['check-config', join(dir, '10.yml')])).code).toBe(0);
    const refused = await runCli(['check-config', join(dir, '30.yml'), '--json']);
    expect({ code: refused.code, ok: JSON.parse(refused.out).ok, error: JSON.parse(refused.out).error }).toEqual({ code: 1, ok: false, error: sizes[2].problem });
  });

  it('counts a policy at its longest rendering: never less than what the simulated account renders', async () => {
    const { createRequire } = await import('node:module');
    const { join } = await import('node:path');
    const { ROOT } = await import('../../src/local/definitions.js');
    const { functionPolicies } = await import('../../src/local/iam-policy.js');
    const require = createRequire(import.meta.url);
    const iam = require(join(ROOT, 'deploy', 'iam.cjs'));
    const { manyApps } = require(join(ROOT, 'deploy', 'many-apps.cjs'));
    const doc = manyApps(12);
    const names = {
      bucket: 'greenlight-artifacts-sim',
      table: 'greenlight-sim',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:greenlight-sim',
      releaseStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:greenlight-sim-release',
      capacityStateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:greenlight-sim-capacity',
    };
    const simulated = [...functionPolicies(doc, names).values()].map((st) => JSON.stringify({ Version: '2012-10-17', Statement: st }).replace(/\s/g, '').length);
    const { chars } = iam.largestPolicy(doc);
    expect(chars).toBeGreaterThanOrEqual(Math.max(...simulated));
    // ...and not wildly more: the longest partition, region and bucket add little.
    expect(chars).toBeLessThan(Math.max(...simulated) * 1.25);
  });
});
