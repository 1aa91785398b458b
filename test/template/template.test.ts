import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { committedFunctionActions, SDK_INTERNAL_COMMANDS, shippedBundleContents } from '../../src/cli/derive-iam.js';
import { ROOT } from '../../src/local/definitions.js';
import { zipEntries } from '../../src/local/zip.js';

// Assertions on the template that `serverless deploy` would really deploy.

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any;
let template: Json;
const out = join(ROOT, '.serverless');

// serverless-esbuild leaves its zip staging directories in TMPDIR: give it one that goes.
const scratch = mkdtempSync(join(tmpdir(), 'greenlight-template-tmp-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(() => {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'dev', '--region', 'us-east-1'], {
    cwd: ROOT,
    stdio: 'pipe',
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'greenlight-offline-none', TMPDIR: scratch },
    timeout: 120_000,
  });
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 150_000);

/** Each function's role statements, by the role's logical id (DispatchRole, ...). */
const roleStatements = (id: string, t: Json = template): Json[] => t.Resources[id].Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
const functionRoleIds = (t: Json = template): string[] =>
  Object.values<Json>(t.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((f) => f.Properties.Role['Fn::GetAtt'][0]);
/** Every statement of every function's role, each once. */
const allStatements = (t: Json = template): Json[] => [...new Map(functionRoleIds(t).flatMap((id) => roleStatements(id, t)).map((st) => [JSON.stringify(st), st])).values()];
const resources = (type: string): [string, Json][] => Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === type);
/** The EventBridge rules whose target names this logical id. */
const rulesTargeting = (id: string): Json[] =>
  resources('AWS::Events::Rule')
    .map(([, r]) => r.Properties)
    .filter((r) => JSON.stringify(r.Targets).includes(id));

describe('Template: serverless package', () => {
  it('has the release and capacity state machines, each calling only functions of this stack', () => {
    const machines = Object.fromEntries(resources('AWS::StepFunctions::StateMachine'));
    expect(Object.keys(machines).sort()).toEqual(['CapacityStateMachine', 'ReleaseStateMachine']);
    const [capText, capVars] = machines.CapacityStateMachine.Properties.DefinitionString['Fn::Sub'];
    expect(Object.keys(JSON.parse(capText).States)).toEqual(expect.arrayContaining(['Classify', 'WaitForJoin', 'JoinCheck', 'AbandonLaunch', 'DrainStart', 'DrainCheck', 'Reconcile']));
    for (const id of JSON.stringify(capVars).match(/"[A-Za-z]+LambdaFunction"/g)!.map((r) => r.slice(1, -1)))
      expect(template.Resources[id]?.Type).toBe('AWS::Lambda::Function');
    const [text, vars] = machines.ReleaseStateMachine.Properties.DefinitionString['Fn::Sub'];
    const def = JSON.parse(text);
    expect(Object.keys(def.States)).toEqual(
      expect.arrayContaining(['Resolve', 'Plan', 'PrepareGreen', 'WaitForGreen', 'CheckGreen', 'SwitchTraffic', 'RetireStep', 'RetireWait', 'Rollback', 'Rejected']),
    );
    expect(def.States.WaitForGreen).toMatchObject({ Type: 'Wait', TimestampPath: '$.green.nextCheckAt' });
    expect(JSON.stringify(vars)).toContain('SwitchTrafficLambdaFunction');
    // Every Lambda the definition calls is a function of this stack.
    const referenced = JSON.stringify(vars).match(/"[A-Za-z]+LambdaFunction"/g)!.map((r) => r.slice(1, -1));
    expect(referenced.length).toBeGreaterThanOrEqual(9);
    for (const id of referenced) expect(template.Resources[id]?.Type).toBe('AWS::Lambda::Function');
    // Every execution that took the lock ends through the finish function (history, lock, events).
    const fnOf = (resource: string) => vars[resource.replace(/^\$\{|\}$/g, '')]?.['Fn::GetAtt']?.[0];
    const finishStates = Object.entries<Json>(def.States).filter(([, st]) => st.Type === 'Task' && fnOf(st.Resource) === 'FinishLambdaFunction');
    expect(finishStates.map(([n]) => n).sort()).toEqual(
      [
        'FinishAlreadyLive',
        'FinishFailed',
        'FinishHandedOver',
        'FinishPrewarmed',
        'FinishRejected',
        'FinishReleased',
        'FinishRetireFailed',
        'FinishRetired',
        'FinishRollbackDone',
        'FinishRollbackFailed',
        'FinishRolledBack',
        'FinishSuperseded',
      ].sort(),
    );
    for (const [name, st] of Object.entries<Json>(def.States)) {
      if (st.Type !== 'Fail' && !(st.Type === 'Pass' && st.End) && !(st.Type === 'Task' && st.End)) continue;
      // Terminal states are reached only from their Finish step (or, before any lock, from Resolve, its
      // InputRejected/InputFailed wrappers of an unreadable input, and the alarm-driven MarkUnhealthy).
      const from = Object.entries<Json>(def.States)
        .filter(([, o]) => o.Next === name || (o.Catch ?? []).some((c: Json) => c.Next === name) || (o.Choices ?? []).some((c: Json) => c.Next === name))
        .map(([n]) => n);
      for (const f of from) expect([...finishStates.map(([n]) => n), 'Resolve', 'InputRejected', 'InputFailed', 'MarkUnhealthy', 'Route?']).toContain(f);
    }
  });

  it('waits at the approval gate with a task token of its own approval function, which its role may invoke', () => {
    const [text, vars] = template.Resources.ReleaseStateMachine.Properties.DefinitionString['Fn::Sub'];
    const gate = JSON.parse(text).States.AwaitApproval;
    expect(gate.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(gate.Parameters.Payload['token.$']).toBe('$$.Task.Token');
    expect(gate.TimeoutSecondsPath).toBe('$.settings.approvalTimeoutSeconds');
    expect(vars[gate.Parameters.FunctionName.replace(/^\$\{|\}$/g, '')]).toEqual({ 'Fn::GetAtt': ['ApprovalLambdaFunction', 'Arn'] });
    expect(JSON.stringify(template.Resources.ReleaseStateMachineRole.Properties.Policies[0].PolicyDocument)).toContain('ApprovalLambdaFunction');
  });

  it('sends guard alarms going to ALARM to the guard function, which may stop only this stack\'s release executions', () => {
    const rules = rulesTargeting('GuardLambdaFunction');
    expect(rules).toHaveLength(1);
    expect(rules[0].EventPattern).toEqual({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: ['web-target-5xx'], state: { value: ['ALARM'] } } });
    const statements: Json[] = roleStatements('GuardRole');
    const stop = statements.find((s) => [s.Action].flat().includes('states:StopExecution'));
    expect(JSON.stringify(stop.Resource)).toContain(':execution:${ReleaseStateMachine.Name}:*');
  });

  it('keeps the locks and history in a private, pay-per-request DynamoDB table, and notifies on an SNS topic and the default bus', () => {
    const [[, table]] = resources('AWS::DynamoDB::Table');
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.DeletionPolicy).toBe('Retain');
    const statements: Json[] = allStatements();
    const db = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    for (const st of db) expect(st.Resource).toEqual({ 'Fn::GetAtt': ['GreenlightTable', 'Arn'] });
    expect([...new Set(db.flatMap((st) => [st.Action].flat()))].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    const events = statements.find((s) => [s.Action].flat().includes('events:PutEvents'));
    expect(events.Condition).toEqual({ 'ForAllValues:StringEquals': { 'events:source': ['greenlight'] }, Null: { 'events:source': 'false' } });
    const sns = statements.find((s) => [s.Action].flat().includes('sns:Publish'));
    expect(sns.Resource).toEqual({ Ref: 'ReleaseTopic' });
    const fn = resources('AWS::Lambda::Function').find(([id]) => id === 'FinishLambdaFunction')![1];
    expect(fn.Properties.Environment.Variables).toMatchObject({ GREENLIGHT_TABLE: { Ref: 'GreenlightTable' }, GREENLIGHT_TOPIC_ARN: { Ref: 'ReleaseTopic' } });
  });

  it('starts releases from S3 Object Created events under releases/, and from ECR pushes of opted-in repositories', () => {
    const rules = rulesTargeting('DispatchLambdaFunction');
    expect(rules.map((r) => r.EventPattern)).toEqual([
      {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: 'ArtifactBucket' }] }, object: { key: [{ prefix: 'releases/' }] } },
      },
      { source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['api'] } },
    ]);
    for (const r of rules) expect(r.Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['DispatchLambdaFunction', 'Arn'] });
  });

  it('creates the lifecycle hooks on the scaled groups, and routes their events and a reconcile schedule to the capacity machine', () => {
    const hooks = resources('AWS::AutoScaling::LifecycleHook').map(([, h]) => h.Properties);
    expect(hooks.map((h) => [h.AutoScalingGroupName, h.LifecycleHookName, h.LifecycleTransition, h.DefaultResult]).sort()).toEqual([
      ['shop-blue-capacity', 'greenlight-launch', 'autoscaling:EC2_INSTANCE_LAUNCHING', 'CONTINUE'],
      ['shop-blue-capacity', 'greenlight-terminate', 'autoscaling:EC2_INSTANCE_TERMINATING', 'CONTINUE'],
      ['shop-green-capacity', 'greenlight-launch', 'autoscaling:EC2_INSTANCE_LAUNCHING', 'CONTINUE'],
      ['shop-green-capacity', 'greenlight-terminate', 'autoscaling:EC2_INSTANCE_TERMINATING', 'CONTINUE'],
    ]);
    // The launch hook outlives the join timeout (600 s default), so greenlight decides first.
    expect(hooks.find((h) => h.LifecycleHookName === 'greenlight-launch').HeartbeatTimeout).toBe(720);
    const toCapacity = rulesTargeting('CapacityStateMachine');
    expect(toCapacity.map((r) => r.EventPattern ?? r.ScheduleExpression)).toEqual(
      expect.arrayContaining([
        {
          source: ['aws.autoscaling'],
          'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
          detail: { AutoScalingGroupName: ['shop-blue-capacity', 'shop-green-capacity'] },
        },
        'rate(5 minutes)',
      ]),
    );
  });

  it('starts a replacement when an eip status alarm or an alarm an asg app names goes to ALARM', () => {
    const toRelease = rulesTargeting('ReleaseStateMachine');
    expect(toRelease.map((r) => r.EventPattern)).toEqual([
      {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: ['greenlight-site-status', 'web-instance-status'], state: { value: ['ALARM'] } },
      },
    ]);
  });

  it('has as many resources as deploy/template-size.cjs predicts for the config (check-config refuses over 500 with it)', () => {
    const { templateResources } = createRequire(import.meta.url)(join(ROOT, 'deploy', 'template-size.cjs'));
    const doc = parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8'));
    expect(templateResources(doc)).toBe(Object.keys(template.Resources).length);
  });

  it('runs every function on nodejs22.x', () => {
    const fns = resources('AWS::Lambda::Function');
    expect(fns.length).toBe(25);
    for (const [, f] of fns) expect(f.Properties.Runtime).toBe('nodejs22.x');
  });

  it('creates a private, encrypted, versioned artifact bucket with EventBridge notifications and TLS only', () => {
    const b = template.Resources.ArtifactBucket.Properties;
    expect(b.VersioningConfiguration.Status).toBe('Enabled');
    expect(b.NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled).toBe(true);
    expect(Object.values(b.PublicAccessBlockConfiguration)).toEqual([true, true, true, true]);
    expect(b.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    const [deny, uploads] = template.Resources.ArtifactBucketPolicy.Properties.PolicyDocument.Statement;
    expect(deny).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    // Releases can only be written by the listed uploaders (and greenlight, for ECR manifests).
    expect(uploads).toMatchObject({
      Effect: 'Deny',
      Action: expect.arrayContaining(['s3:PutObject']),
      Resource: { 'Fn::Sub': '${ArtifactBucket.Arn}/releases/*' },
      Condition: { ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/ci-release', { 'Fn::GetAtt': ['DispatchRole', 'Arn'] }] } },
    });
  });

  it('per-app uploaders: each app prefix is writable only by its own list (or the top-level one), greenlight\'s writer role excepted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenlight-uploaders-'));
    const file = join(dir, 'greenlight.config.yml');
    const doc = parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8'));
    doc.apps.web.uploaders = ['arn:aws:iam::123456789012:role/web-ci'];
    writeFileSync(file, JSON.stringify(doc));
    const before = process.env.GREENLIGHT_CONFIG_FILE;
    process.env.GREENLIGHT_CONFIG_FILE = file;
    try {
      const policy: Json[] = createRequire(import.meta.url)(join(ROOT, 'deploy', 'bucket.cjs')).resources().Resources.ArtifactBucketPolicy.Properties.PolicyDocument.Statement;
      const on = (prefix: string) => policy.find((st) => st.Resource?.['Fn::Sub'] === `\${ArtifactBucket.Arn}/${prefix}*`)?.Condition.ArnNotLike['aws:PrincipalArn'];
      const dispatch = { 'Fn::GetAtt': ['DispatchRole', 'Arn'] };
      expect(on('releases/web/')).toEqual(['arn:aws:iam::123456789012:role/web-ci', dispatch]);
      expect(on('releases/api/')).toEqual(['arn:aws:iam::123456789012:role/ci-release', dispatch]);
      expect(on('releases/')).toEqual(['arn:aws:iam::123456789012:role/ci-release', 'arn:aws:iam::123456789012:role/web-ci', dispatch]);
    } finally {
      if (before === undefined) delete process.env.GREENLIGHT_CONFIG_FILE;
      else process.env.GREENLIGHT_CONFIG_FILE = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every function a role of its own, holding only the actions its code calls (deploy/function-actions.json)', () => {
    const derived = committedFunctionActions().functions;
    const fns = resources('AWS::Lambda::Function');
    expect(new Set(functionRoleIds()).size).toBe(fns.length);
    const granted = (id: string) => new Set(roleStatements(id).filter((st) => !['OwnLogGroup', 'Tracing', 'OnFailureDestination'].includes(st.Sid)).flatMap((st) => [st.Action].flat()));
    for (const [, f] of fns) {
      const name = f.Properties.Handler.replace(/^functions\/|\.handler$/g, '');
      const role = f.Properties.Role['Fn::GetAtt'][0];
      expect({ name, extra: [...granted(role)].filter((a) => !derived[name].actions.includes(a)) }).toEqual({ name, extra: [] });
      // Each writes its own log group only.
      const logs = roleStatements(role).find((st) => st.Sid === 'OwnLogGroup');
      expect(JSON.stringify(logs.Resource)).toContain(`log-group:/aws/lambda/greenlight-dev-${name}:*`);
    }
    // Only the functions that move a route may change a listener; dispatch starts executions and writes ECR manifests.
    const withAction = (a: string) => functionRoleIds().filter((id) => granted(id).has(a)).sort();
    expect(withAction('elasticloadbalancing:ModifyListener')).toEqual(['CheckGreenRole', 'GuardRole', 'RollbackRole', 'SmokeTestRole', 'SwitchTrafficRole']);
    expect(withAction('states:StopExecution')).toEqual(['GuardRole']);
    expect([...granted('DispatchRole')].sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:PutObject', 'states:StartExecution']);
    expect([...granted('ClassifyRole')]).toEqual([]);
  });

  it('derives the roles from the calls in the bundles that are shipped (a packaged handler includes exactly the commands and clients its role was derived from)', () => {
    const derived = committedFunctionActions().functions;
    for (const [, f] of resources('AWS::Lambda::Function')) {
      const name = f.Properties.Handler.replace(/^functions\/|\.handler$/g, '');
      const code = zipEntries(join(out, `${name}.zip`)).get(`functions/${name}.mjs`)!.toString();
      const shipped = shippedBundleContents(code);
      const calls = derived[name].calls;
      // Commands named alike in two services (DeleteRule) count once; the SDK's own credential commands are not greenlight's.
      const own = shipped.commands.filter((c) => !SDK_INTERNAL_COMMANDS.includes(c));
      expect({ name, commands: own }).toEqual({ name, commands: [...new Set(calls.map((c) => c.split(':')[1]))].sort() });
      expect({ name, services: shipped.services }).toEqual({ name, services: [...new Set(calls.map((c) => c.split(':')[0]))].sort() });
    }
  });

  it('allows mutations only on the configured resources (wildcardMutatingStatements = 0)', () => {
    const statements: Json[] = allStatements();
    const mutating = (a: string) => !/:(Describe|Get|List|Head)/.test(a) && !a.startsWith('logs:');
    // A condition pins a wildcard statement only with a key that names configured resources or
    // greenlight's own tags: the template launched from, greenlight's tags on the resource or the
    // request, tags only on create, the roles passed to one service.
    const PINNING = ['ec2:LaunchTemplate', 'aws:ResourceTag/greenlight:app', 'aws:ResourceTag/greenlight:preview', 'aws:RequestTag/greenlight:app', 'aws:RequestTag/greenlight:release', 'ec2:CreateAction', 'ecs:CreateAction', 'events:source'];
    const pinned = (s: Json) => Object.values<Json>(s.Condition ?? {}).some((keys) => Object.keys(keys).some((k) => PINNING.includes(k)));
    const wildcard = statements.filter((s) => {
      const actions: string[] = [s.Action].flat();
      const res = s.NotResource ? ['*'] : [s.Resource].flat();
      return s.Effect === 'Allow' && actions.some(mutating) && res.some((r) => r === '*' || (typeof r === 'string' && r.endsWith(':*'))) && !pinned(s);
    });
    // wildcardMutatingStatements, reported in docs/reliability.md
    expect({ wildcardMutatingStatements: wildcard.length, statements: statements.length }).toEqual({ wildcardMutatingStatements: 0, statements: statements.length });
    expect(statements.length).toBeGreaterThan(10);
    const byAction = (a: string) => [...new Map(statements.filter((s) => [s.Action].flat().includes(a)).flatMap((s) => [s.Resource].flat()).map((r) => [JSON.stringify(r), r])).values()];
    expect(byAction('elasticloadbalancing:ModifyListener')).toEqual([
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-alb/0123456789abcdef/0123456789abcdef',
    ]);
    expect(JSON.stringify(byAction('autoscaling:UpdateAutoScalingGroup'))).toContain('autoScalingGroupName/web-green');
    expect(byAction('states:StartExecution')).toEqual([{ Ref: 'ReleaseStateMachine' }]);
    expect(byAction('ecs:UpdateService')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/apps/api-blue' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/apps/api-green' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/shop-blue/shop-blue' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/shop-green/shop-green' },
    ]);
    expect(byAction('elasticloadbalancing:ModifyRule')).toEqual([
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-alb/0123456789abcdef/0123456789abcdef/0a1b2c3d4e5f6789',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web-alb/0123456789abcdef/0123456789abcdef/1a2b3c4d5e6f7089',
    ]);
    expect(JSON.stringify(byAction('autoscaling:CompleteLifecycleAction'))).toContain('autoScalingGroupName/shop-green-capacity');
    expect(JSON.stringify(byAction('autoscaling:CompleteLifecycleAction'))).not.toContain('web-green');
    expect(byAction('ecs:UpdateContainerInstancesState')).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:container-instance/shop-blue/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:container-instance/shop-green/*' },
    ]);
    expect(JSON.stringify(byAction('autoscaling:SetInstanceHealth'))).toContain('autoScalingGroupName/web-blue');
    expect(JSON.stringify(byAction('autoscaling:SetInstanceHealth'))).not.toContain('shop');
    const run = statements.find((st) => [st.Action].flat().includes('ec2:RunInstances') && st.Condition);
    // asg groups' templates (an update is authorized as a launch from them) and the eip server's.
    expect(run.Condition).toEqual({
      ArnLike: {
        'ec2:LaunchTemplate': [
          { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:launch-template/lt-0123456789abcdef0' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:launch-template/lt-0fedcba9876543210' },
        ],
      },
      Bool: { 'ec2:IsLaunchTemplateResource': 'true' },
    });
    const servers = statements.find((st) => [st.Action].flat().includes('ec2:TerminateInstances'));
    expect(servers.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/greenlight:app': ['site'] } });
    expect(byAction('cloudwatch:PutMetricAlarm')).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:greenlight-site-status' }]);
    // iam:PassRole only for the configured roles, each to one service.
    expect(byAction('iam:PassRole').sort()).toEqual(['arn:aws:iam::123456789012:role/api-execution', 'arn:aws:iam::123456789012:role/api-task', 'arn:aws:iam::123456789012:role/shop-execution']);
    // Launches take every resource but the release's image from the template.
    const launch = statements.find((st) => st.Sid === 'LaunchFromConfiguredTemplates');
    expect(launch.Condition.Bool).toEqual({ 'ec2:IsLaunchTemplateResource': 'true' });
    // Preview rules only on the previewed apps' listeners (an app with preview: added to this config).
    const doc = parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8'));
    doc.apps.web.preview = { domain: 'preview.example.com' };
    const withPreview: Json[] = createRequire(import.meta.url)(join(ROOT, 'deploy', 'iam.cjs')).statementsFor(doc);
    const create = withPreview.find((st) => st.Sid === 'CreatePreviewRules');
    const listener = doc.apps.web.listenerArn;
    expect(create.Resource).toEqual([listener, `${listener.replace(':listener/', ':listener-rule/')}/*`]);
    expect(withPreview.find((st) => st.Sid === 'ChangeOnlyPreviewRules').Resource).toEqual([`${listener.replace(':listener/', ':listener-rule/')}/*`]);
    const register = statements.find((s) => [s.Action].flat().includes('ecs:RegisterTaskDefinition'));
    expect(register.Condition).toEqual({ StringLike: { 'aws:RequestTag/greenlight:release': 'greenlight *' } });
  });

  it('watches itself: failed async invocations and undeliverable events land in a failure queue, with an alarm', () => {
    const queue = { 'Fn::GetAtt': ['FailureQueue', 'Arn'] };
    expect(template.Resources.FailureQueue).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 } });
    // Every asynchronously invoked function (dispatch, guard) has an on-failure destination.
    const configs = Object.fromEntries(resources('AWS::Lambda::EventInvokeConfig').map(([, r]) => [r.Properties.FunctionName.Ref, r.Properties]));
    expect(Object.keys(configs).sort()).toEqual(['DispatchLambdaFunction', 'GuardLambdaFunction']);
    for (const c of Object.values<Json>(configs)) expect(c.DestinationConfig.OnFailure.Destination).toEqual(queue);
    // Each of them may send to the queue; no other function may.
    const senders = functionRoleIds().filter((id) => roleStatements(id).some((st) => [st.Action].flat().includes('sqs:SendMessage') && JSON.stringify(st.Resource) === JSON.stringify(queue)));
    expect(senders.sort()).toEqual(['DispatchRole', 'GuardRole']);
    // Every event rule (a pattern: uploads, alarms, lifecycle actions) dead-letters to the queue, which lets EventBridge in.
    const patterned = resources('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(patterned.length).toBeGreaterThanOrEqual(5);
    for (const [id, r] of patterned) for (const t of r.Properties.Targets) expect({ id, dlq: t.DeadLetterConfig }).toEqual({ id, dlq: { Arn: queue } });
    const policy = template.Resources.FailureQueuePolicy.Properties.PolicyDocument.Statement[0];
    expect(policy).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queue });
    expect(policy.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    const depth = template.Resources.FailureQueueAlarm.Properties;
    expect(depth).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, AlarmActions: [{ Ref: 'ReleaseTopic' }] });
  });

  it('watches itself: both state machines log errors (no execution data) and alarm on failed, timed-out and aborted executions', () => {
    for (const id of ['ReleaseStateMachine', 'CapacityStateMachine']) {
      const p = template.Resources[id].Properties;
      expect(p.LoggingConfiguration).toEqual({ Level: 'ERROR', IncludeExecutionData: false, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['StateMachineLogGroup', 'Arn'] } } }] });
      expect(p.TracingConfiguration).toEqual({ Enabled: false }); // observability.tracing: false in this config
      const alarms = resources('AWS::CloudWatch::Alarm').filter(([, a]) => JSON.stringify(a.Properties.Metrics ?? []).includes(`{"Ref":"${id}"}`));
      expect(alarms).toHaveLength(1);
      const a = alarms[0][1].Properties;
      expect(a.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => m.MetricStat.Metric.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      expect(a.Metrics.find((m: Json) => m.ReturnData).Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', AlarmActions: [{ Ref: 'ReleaseTopic' }] });
    }
    expect(template.Resources.StateMachineLogGroup.Properties.RetentionInDays).toBe(30);
    for (const fn of ['DispatchLambdaFunction', 'GuardLambdaFunction']) {
      const errors = resources('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'Errors' && a.Properties.Dimensions?.[0]?.Value?.Ref === fn);
      expect(errors).toHaveLength(1);
      expect(errors[0][1].Properties.AlarmActions).toEqual([{ Ref: 'ReleaseTopic' }]);
    }
  });

  it('runs the functions that make HTTP checks in the configured VPC, and only those', () => {
    const fns = Object.fromEntries(resources('AWS::Lambda::Function').map(([id, f]) => [id, f.Properties.VpcConfig]));
    const inVpc = Object.entries(fns).filter(([, v]) => v).map(([id]) => id).sort();
    expect(inVpc).toEqual(['CheckGreenLambdaFunction', 'SmokeTestLambdaFunction', 'SwitchTrafficLambdaFunction']);
    expect(fns.CheckGreenLambdaFunction).toEqual({ SecurityGroupIds: ['sg-0123456789abcdef0'], SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] });
    // ENIs for the VPC: AWS's managed policy for it, on those functions' roles only.
    const withEni = functionRoleIds().filter((id) => JSON.stringify(template.Resources[id].Properties.ManagedPolicyArns ?? []).includes('AWSLambdaVPCAccessExecutionRole'));
    expect(withEni.sort()).toEqual(['CheckGreenRole', 'SmokeTestRole', 'SwitchTrafficRole']);
  });

  it('ships each handler as one bundle with the config embedded and the SDK bundled in (only the clients it uses)', () => {
    const config = Buffer.from(JSON.stringify(parse(readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8')))).toString('base64');
    const fns = resources('AWS::Lambda::Function').map(([, f]) => f.Properties.Handler.replace(/^functions\/|\.handler$/g, ''));
    expect(fns).toHaveLength(25);
    for (const fn of fns) {
      const zip = join(out, `${fn}.zip`);
      const files = zipEntries(zip);
      expect([...files.keys()]).toEqual([`functions/${fn}.mjs`]);
      const code = files.get(`functions/${fn}.mjs`)!.toString();
      expect(code).toContain(config);
      // Nothing is left to the runtime's SDK: no import of an @aws-sdk package survives bundling.
      expect(code).not.toMatch(/from\s*"@aws-sdk\//);
      expect(statSync(zip).size).toBeLessThan(512 * 1024);
    }
  });
  it('turns on X-Ray for the machines and the functions when observability.tracing is set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenlight-tracing-'));
    const config = join(dir, 'greenlight.config.yml');
    writeFileSync(config, readFileSync(join(ROOT, 'greenlight.config.yml'), 'utf8') + '\nobservability: { tracing: true, logLevel: ALL }\n');
    const outDir = join(dir, 'out');
    execFileSync(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'dev', '--region', 'us-east-1', '--package', outDir], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, GREENLIGHT_CONFIG_FILE: config, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'greenlight-offline-none', TMPDIR: scratch },
      timeout: 120_000,
    });
    const t = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
    expect(t.Resources.ReleaseStateMachine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(t.Resources.CapacityStateMachine.Properties.LoggingConfiguration.Level).toBe('ALL');
    expect(t.Resources.DispatchLambdaFunction.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    // X-Ray's PutTraceSegments has no resource-level permissions: the one '*' statement tracing adds.
    for (const id of functionRoleIds(t)) {
      const xray = roleStatements(id, t).filter((st: Json) => JSON.stringify(st.Action).includes('xray:'));
      expect({ id, xray }).toEqual({ id, xray: [{ Sid: 'Tracing', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }] });
    }
    expect(allStatements().some((st: Json) => JSON.stringify(st.Action).includes('xray:'))).toBe(false); // off in the default config
    rmSync(dir, { recursive: true, force: true });
  }, 150_000);


  it('refuses to package when a configured ARN is of another region, naming the field and the fix', () => {
    const run = (region: string) =>
      spawnSync(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'dev', '--region', region, '--package', mkdtempSync(join(tmpdir(), 'greenlight-region-'))], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'greenlight-offline-none', TMPDIR: scratch },
        timeout: 120_000,
      });
    const r = run('eu-west-1');
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/apps\.web\.listenerArn, .* are in us-east-1 but the stack deploys to eu-west-1: name the eu-west-1 resources, or deploy with --region us-east-1/);
    const { regionProblems } = createRequire(import.meta.url)(join(ROOT, 'deploy', 'config.cjs'));
    // IAM ARNs have no region; one ARN elsewhere is named alone.
    expect(regionProblems({ uploaders: ['arn:aws:iam::111122223333:role/ci'], apps: { a: { listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:1:listener/x', ruleArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/x' } } }, 'us-east-1')).toEqual([
      'apps.a.ruleArn is in eu-west-1 but the stack deploys to us-east-1: name the us-east-1 resources, or deploy with --region eu-west-1',
    ]);
  }, 150_000);
});
