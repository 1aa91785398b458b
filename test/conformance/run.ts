// npm run test:conformance [-- --json]: greenlight's real-AWS path (verify, plan, run-local
// release, a hand-typed rollback, status, history) against any AWS-compatible endpoint named by
// AWS_ENDPOINT_URL. It creates the target infrastructure itself, runs the greenlight CLI as a
// user would (one process per command), and asserts the end state by reading it back through
// the API. In CI the endpoint is moto 4.1.15 (../shared/vendor), whose response bugs are repaired
// by moto-shim.mjs, loaded into every process here and never part of the product.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, DescribeAutoScalingInstancesCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { stringify } from 'yaml';
import { lastLaunchInService } from '../../src/aws/autoscaling.js';
import { targetGroupPeriods } from '../../src/aws/cloudwatch.js';
import { createClients } from '../../src/aws/clients.js';
import { readLock } from '../../src/aws/dynamodb.js';
import { committedFunctionActions } from '../../src/cli/derive-iam.js';
import { parseConfig } from '../../src/core/config.js';
import { acquired } from '../../src/core/lock.js';
import { classify, drainCheck, drainStart, joinCheck, setTaskCount } from '../../src/steps/capacity.js';
import type { Deps } from '../../src/steps/deps.js';
import { dispatch } from '../../src/steps/dispatch.js';
import { onGuardAlarm } from '../../src/steps/guard.js';
import { httpGet } from '../../src/steps/http.js';
import { changeLock } from '../../src/steps/lock.js';
import { removePreview } from '../../src/steps/preview.js';
import { leftovers, teardown } from './teardown.js';

const ROOT = join(import.meta.dirname, '..', '..');
const endpoint = process.env.AWS_ENDPOINT_URL;
const json = process.argv.includes('--json');
const argValue = (flag: string) => {
  const k = process.argv.indexOf(flag);
  return k > 0 ? process.argv[k + 1] : undefined;
};
// --sandbox: against the account of the credentials in the environment (no AWS_ENDPOINT_URL).
const sandbox = process.argv.includes('--sandbox');
const teardownRun = argValue('--teardown');
const keep = process.argv.includes('--keep');
const sandboxImages = (process.env.CONFORMANCE_IMAGE_IDS ?? '').split(',').map((x) => x.trim()).filter(Boolean);
const statesRole = process.env.CONFORMANCE_STATES_ROLE_ARN ?? 'arn:aws:iam::123456789012:role/greenlight-states';
const usage = (why: string) => {
  process.stderr.write(
    `test:conformance: ${why}\n` +
      '  against an emulator: AWS_ENDPOINT_URL=http://127.0.0.1:5000 npm run test:conformance [-- --json] [--keep]\n' +
      '  against a sandbox account: CONFORMANCE_IMAGE_IDS=<5 AMI ids, comma-separated> CONFORMANCE_STATES_ROLE_ARN=<role> npm run test:conformance -- --sandbox [--json] [--keep]\n' +
      '  teardown of a kept run: npm run test:conformance -- --teardown <run id> [--sandbox]\n',
  );
  process.exit(2);
};
if (!endpoint && !sandbox) usage('needs AWS_ENDPOINT_URL (an AWS-compatible endpoint, e.g. moto) or --sandbox (the account of your credentials)');
if (endpoint && sandbox) usage('--sandbox runs against the account of your credentials: unset AWS_ENDPOINT_URL');
if (sandbox && !teardownRun && new Set(sandboxImages).size < 5)
  usage('--sandbox needs CONFORMANCE_IMAGE_IDS: 5 distinct AMI ids of an image with python3 (e.g. five Amazon Linux 2023 releases); each release case moves to another one');
if (sandbox && !teardownRun && !process.env.CONFORMANCE_STATES_ROLE_ARN) usage('--sandbox needs CONFORMANCE_STATES_ROLE_ARN: a role Step Functions may assume (the suite creates two placeholder state machines with it)');
const region = process.env.AWS_REGION ?? 'us-east-1';
const cfg = endpoint
  ? { region, endpoint, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'conformance', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'conformance' } }
  : { region };
const ec2 = new EC2Client(cfg);
const elb = new ElasticLoadBalancingV2Client(cfg);
const asg = new AutoScalingClient(cfg);
const ecs = new ECSClient(cfg);
const s3 = new S3Client({ ...cfg, forcePathStyle: !!endpoint });
const work = mkdtempSync(join(tmpdir(), 'greenlight-conformance-'));
const callLog = join(work, 'calls.jsonl');
const run = `c${Date.now().toString(36)}`;
const say = (s: string) => {
  if (!json) process.stdout.write(`${s}\n`);
};

// ---------------------------------------------------------------- the target infrastructure

/** In a sandbox account the instances answer the target groups' checks: an HTTP server on port 80 (python3, no internet needed). */
const SERVE_HTTP = Buffer.from('#!/bin/sh\nmkdir -p /srv/www && echo ok > /srv/www/index.html && cd /srv/www && nohup python3 -m http.server 80 >/dev/null 2>&1 &\n').toString('base64');

async function infrastructure() {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: `${run}-vpc` }] }] }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [k, az] of ['a', 'b'].entries())
    subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${k + 1}.0/24`, AvailabilityZone: `${region}${az}` }))).Subnet!.SubnetId!);
  // An emulator's own image list, or in a sandbox account the images named (in that order).
  const listed = (await ec2.send(new DescribeImagesCommand(sandbox ? { ImageIds: sandboxImages } : {}))).Images!;
  const described = sandbox ? sandboxImages.map((id) => listed.find((i) => i.ImageId === id)!).filter(Boolean) : listed;
  const images = described.map((i) => i.ImageId!);
  // The emulator's images belong to other accounts: the apps name their owners (allowedImageOwners).
  const owners = [...new Set(described.slice(0, 5).map((i) => i.OwnerId!).filter(Boolean))];
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: `${run}-alb`, Subnets: subnets, Scheme: 'internal' }))).LoadBalancers![0].LoadBalancerArn!;
  const tg = async (name: string) => (await elb.send(new CreateTargetGroupCommand({ Name: `${run}-${name}`, Protocol: 'HTTP', Port: 80, VpcId: vpc }))).TargetGroups![0].TargetGroupArn!;
  const tgs = { webBlue: await tg('web-blue'), webGreen: await tg('web-green'), shopBlue: await tg('shop-blue'), shopGreen: await tg('shop-green'), apiBlue: await tg('api-blue'), apiGreen: await tg('api-green') };
  const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgs.webBlue }] }))).Listeners![0].ListenerArn!;
  const rule = async (host: string, target: string, priority: number) =>
    (await elb.send(new CreateRuleCommand({ ListenerArn: listener, Priority: priority, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }], Actions: [{ Type: 'forward', TargetGroupArn: target }] })))
      .Rules![0].RuleArn!;
  const shopRule = await rule('shop.example.com', tgs.shopBlue, 20);
  const apiRule = await rule('api.example.com', tgs.apiBlue, 30);
  const template = async (name: string) =>
    (await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: `${run}-${name}`, LaunchTemplateData: { ImageId: images[0], InstanceType: 't3.micro', ...(sandbox ? { UserData: SERVE_HTTP } : {}) } }))).LaunchTemplate!.LaunchTemplateId!;
  const lts = { web: await template('web'), shop: await template('shop'), site: await template('site') };
  const group = async (name: string, lt: string, target: string, size: number) =>
    asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: `${run}-${name}`,
        MinSize: size,
        MaxSize: 4,
        DesiredCapacity: size,
        LaunchTemplate: { LaunchTemplateId: lt, Version: '1' },
        VPCZoneIdentifier: subnets.join(','),
        ...(target ? { TargetGroupARNs: [target] } : {}),
      }),
    );
  await group('web-blue', lts.web, tgs.webBlue, 2);
  await group('web-green', lts.web, tgs.webGreen, 0);
  await group('shop-blue', lts.shop, tgs.shopBlue, 2);
  await group('shop-green', lts.shop, tgs.shopGreen, 0);
  // The eip app's first server, launched by hand and tagged for greenlight, behind its address.
  const first = (await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: lts.site, Version: '1' }, SubnetId: subnets[0], TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'greenlight:app', Value: 'site' }] }] })))
    .Instances![0].InstanceId!;
  const address = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'Name', Value: `${run}-address` }] }] }))).AllocationId!;
  await ec2.send(new AssociateAddressCommand({ AllocationId: address, InstanceId: first }));
  // The stamping eip app's first server (stamp: image), behind its own address.
  const stampFirst = (await ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: lts.site, Version: '1' }, SubnetId: subnets[0], TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'greenlight:app', Value: 'stamp' }] }] })))
    .Instances![0].InstanceId!;
  const stampAddress = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: [{ Key: 'Name', Value: `${run}-address` }] }] }))).AllocationId!;
  await ec2.send(new AssociateAddressCommand({ AllocationId: stampAddress, InstanceId: stampFirst }));
  // ECS (Fargate): a cluster, blue's live service on a task definition, green's idle one.
  await ecs.send(new CreateClusterCommand({ clusterName: `${run}-apps` }));
  const td = (
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: `${run}-api`, requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'api', image: 'registry.example.com/api:3.0.0', essential: true, portMappings: [{ containerPort: 80 }] }] }),
    )
  ).taskDefinition!.taskDefinitionArn!;
  const service = (name: string, count: number, target: string) =>
    ecs.send(
      new CreateServiceCommand({
        cluster: `${run}-apps`,
        serviceName: `${run}-${name}`,
        taskDefinition: td,
        desiredCount: count,
        launchType: 'FARGATE',
        loadBalancers: [{ targetGroupArn: target, containerName: 'api', containerPort: 80 }],
        networkConfiguration: { awsvpcConfiguration: { subnets } },
      }),
    );
  await service('api-blue', 2, tgs.apiBlue);
  await service('api-green', 0, tgs.apiGreen);
  // ECS on EC2 capacity (jobs): a cluster and an Auto Scaling group per colour, blue live on a rule.
  const jobsTg = { blue: await tg('jobs-blue'), green: await tg('jobs-green') };
  const jobsRule = await rule('jobs.example.com', jobsTg.blue, 40);
  const jobsTd = (
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: `${run}-jobs`, requiresCompatibilities: ['EC2'], networkMode: 'bridge', containerDefinitions: [{ name: 'jobs', image: 'registry.example.com/jobs:1.0.0', memory: 256, essential: true, portMappings: [{ containerPort: 80 }] }] }),
    )
  ).taskDefinition!.taskDefinitionArn!;
  for (const c of ['blue', 'green'] as const) {
    await ecs.send(new CreateClusterCommand({ clusterName: `${run}-jobs-${c}` }));
    await ecs.send(
      new CreateServiceCommand({
        cluster: `${run}-jobs-${c}`,
        serviceName: `${run}-jobs-${c}`,
        taskDefinition: jobsTd,
        desiredCount: c === 'blue' ? 4 : 0,
        launchType: 'EC2',
        loadBalancers: [{ targetGroupArn: jobsTg[c], containerName: 'jobs', containerPort: 80 }],
      }),
    );
    await group(`jobs-${c}`, lts.web, '', c === 'blue' ? 2 : 0);
  }
  const securityGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `${run}-checks`, Description: 'greenlight HTTP checks', VpcId: vpc }))).GroupId!;
  return { images, owners, listener, shopRule, apiRule, jobsRule, jobsTg, tgs, lts, address, first, stampAddress, stampFirst, subnets, securityGroup };
}

type Infra = Awaited<ReturnType<typeof infrastructure>>;

/** greenlight's own resources, as its stack would make them. */
async function stack() {
  const bucket = `${run}-artifacts`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const table = `${run}-greenlight`;
  await new DynamoDBClient(cfg).send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  const topic = (await new SNSClient(cfg).send(new CreateTopicCommand({ Name: `${run}-releases` }))).TopicArn!;
  const machine = async (name: string) =>
    (await new SFNClient(cfg).send(new CreateStateMachineCommand({ name: `${run}-${name}`, roleArn: statesRole, definition: JSON.stringify({ StartAt: 'Local', States: { Local: { Type: 'Pass', End: true } } }) }))).stateMachineArn!;
  return { bucket, table, topic, release: await machine('release'), capacity: await machine('capacity') };
}

function config(i: Infra) {
  const fast = { health: { pollSeconds: 1, timeoutSeconds: 60 }, retire: { keepWarmInstances: 1, keepWarmMinutes: 0.05 }, allowedImageOwners: i.owners };
  return {
    vpc: { subnetIds: i.subnets, securityGroupIds: [i.securityGroup] },
    apps: {
      web: {
        kind: 'asg',
        listenerArn: i.listener,
        launchTemplateId: i.lts.web,
        blue: { autoScalingGroupName: `${run}-web-blue`, targetGroupArn: i.tgs.webBlue },
        green: { autoScalingGroupName: `${run}-web-green`, targetGroupArn: i.tgs.webGreen },
        artifact: { type: 'ami' },
        ...fast,
        // The retired colour stops its scheduled actions; it resumes them when it serves again.
        retire: { ...fast.retire, quiesce: { suspendProcesses: ['ScheduledActions'] } },
        // An alarm on one instance (its InstanceId dimension) has Auto Scaling replace it.
        replaceOnAlarms: [`${run}-web-instance`],
      },
      shop: {
        kind: 'asg',
        listenerArn: i.listener,
        ruleArn: i.shopRule,
        launchTemplateId: i.lts.shop,
        blue: { autoScalingGroupName: `${run}-shop-blue`, targetGroupArn: i.tgs.shopBlue },
        green: { autoScalingGroupName: `${run}-shop-green`, targetGroupArn: i.tgs.shopGreen },
        artifact: { type: 'ami' },
        traffic: { strategy: 'canary', percent: 10, bakeSeconds: 2 },
        preview: { domain: 'preview.example.com' },
        ...fast,
      },
      api: {
        kind: 'ecs',
        capacity: 'fargate',
        listenerArn: i.listener,
        ruleArn: i.apiRule,
        blue: { cluster: `${run}-apps`, serviceName: `${run}-api-blue`, targetGroupArn: i.tgs.apiBlue },
        green: { cluster: `${run}-apps`, serviceName: `${run}-api-green`, targetGroupArn: i.tgs.apiGreen },
        health: { pollSeconds: 1, timeoutSeconds: 60, maxFailedTasks: 3 },
        retire: { keepWarmTasks: 1, keepWarmMinutes: 0.05 },
        ecr: { repository: `${run}-api`, container: 'api' },
      },
      jobs: {
        kind: 'ecs',
        capacity: 'ec2',
        listenerArn: i.listener,
        ruleArn: i.jobsRule,
        blue: { cluster: `${run}-jobs-blue`, serviceName: `${run}-jobs-blue`, targetGroupArn: i.jobsTg.blue, autoScalingGroupName: `${run}-jobs-blue` },
        green: { cluster: `${run}-jobs-green`, serviceName: `${run}-jobs-green`, targetGroupArn: i.jobsTg.green, autoScalingGroupName: `${run}-jobs-green` },
        scaling: { tasksPerInstance: 2, pollSeconds: 5, joinTimeoutSeconds: 300, drainTimeoutSeconds: 600 },
      },
      stamp: {
        kind: 'eip',
        allocationId: i.stampAddress,
        launchTemplateId: i.lts.site,
        // Each release: an image of the live server, a new server from it that fetches the bundle at boot.
        artifact: { type: 'bundle', userDataTemplate: '#!/bin/sh\naws s3api get-object --bucket {{bucket}} --key {{key}} --version-id {{versionId}} /opt/app.tar.gz\n' },
        stamp: 'image',
        replaceOnStatusCheckFailure: false,
        health: { pollSeconds: 1, timeoutSeconds: 60 },
        retire: { keepStoppedMinutes: 0, keepImages: 1 },
      },
      site: {
        kind: 'eip',
        allocationId: i.address,
        allowedImageOwners: i.owners,
        launchTemplateId: i.lts.site,
        artifact: { type: 'ami' },
        // moto 4.1.15 answers CloudWatch in the query protocol (XML); SDK v3 now speaks JSON 1.0 to
        // it, so the status alarm (PutMetricAlarm) and guard alarms cannot be exercised here.
        replaceOnStatusCheckFailure: false,
        health: { pollSeconds: 1, timeoutSeconds: 60 },
        retire: { keepStoppedMinutes: 0.5 },
      },
    },
  };
}

// ---------------------------------------------------------------- running greenlight

interface Ran {
  code: number | null;
  json: Record<string, unknown> | null;
  text: string;
}

/** One greenlight command, as a user runs it (its own process; the harness keeps running meanwhile). */
function greenlightAsync(env: Record<string, string>, configPath: string, ...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, 'bin', 'greenlight'), [...args, '--config', configPath, '--json'], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code, json: lastJson(out), text: `${out}\n${err}`.slice(-4000) }));
  });
}

function lastJson(stdout: string): Record<string, unknown> | null {
  const out = stdout.trim();
  for (const candidate of [out.slice(out.lastIndexOf('\n{') + 1), out])
    try {
      return JSON.parse(candidate);
    } catch {}
  return null;
}

interface Check {
  check: string;
  ok: boolean;
  detail?: string;
}

class Case {
  readonly checks: Check[] = [];
  constructor(readonly name: string) {}
  expect(check: string, ok: boolean, detail?: unknown) {
    this.checks.push({ check, ok, ...(ok ? {} : { detail: typeof detail === 'string' ? detail : JSON.stringify(detail)?.slice(0, 1500) }) });
    say(`  ${ok ? 'ok ' : 'NG '} ${check}${ok ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)?.slice(0, 600)}`}`);
  }
  get passed() {
    return this.checks.length > 0 && this.checks.every((c) => c.ok);
  }
}

const forwardOf = (actions: { ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] }; TargetGroupArn?: string }[] | undefined) => {
  const f = actions?.[0];
  const groups = f?.ForwardConfig?.TargetGroups?.length ? f.ForwardConfig.TargetGroups : f?.TargetGroupArn ? [{ TargetGroupArn: f.TargetGroupArn, Weight: 1 }] : [];
  return Object.fromEntries(groups.filter((g) => (g.Weight ?? 1) > 0).map((g) => [g.TargetGroupArn!, g.Weight ?? 1]));
};
const liveTargets = async (listener: string) => forwardOf((await elb.send(new DescribeListenersCommand({ ListenerArns: [listener] }))).Listeners?.[0]?.DefaultActions as never);
const ruleTargets = async (rule: string, listener: string) => forwardOf((await elb.send(new DescribeRulesCommand({ ListenerArn: listener }))).Rules?.find((r) => r.RuleArn === rule)?.Actions as never);
const group = async (name: string) => (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0];
const output = (r: Ran) => (r.json?.output ?? {}) as { outcome?: string };

/**
 * moto's Auto Scaling never deregisters the targets of instances it scaled in (AWS does, after
 * the deregistration delay): the target groups keep "healthy" targets of terminated instances.
 * This stands in for AWS there, every second: a target whose instance is gone or no longer in
 * service in a group is deregistered. Harness only.
 */
function janitor(emulator: boolean, targetGroups: string[]) {
  let stop = !emulator;
  let removed = 0;
  const loop = (async () => {
    while (!stop) {
      try {
        // Targets first, then the groups: moto registers an instance's target as the instance
        // joins its group, so every target read here is in a group read after it unless it has
        // really left (read the other way round, an instance launched between the two reads
        // looked gone, was deregistered, and green never turned healthy).
        const byGroup = new Map<string, { Target?: { Id?: string } }[]>();
        for (const tg of targetGroups) byGroup.set(tg, (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? []);
        const groups = (await asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
        const serving = new Set(groups.flatMap((g) => (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService' || i.LifecycleState?.startsWith('Pending')).map((i) => i.InstanceId!)));
        for (const [tg, targets] of byGroup) {
          const gone = targets.filter((t) => t.Target?.Id?.startsWith('i-') && !serving.has(t.Target.Id));
          if (gone.length) {
            await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tg, Targets: gone.map((t) => ({ Id: t.Target!.Id! })) }));
            removed += gone.length;
          }
        }
      } catch {}
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    stop: async () => {
      stop = true;
      await loop;
      return removed;
    },
  };
}

async function main() {
  if (teardownRun) {
    const done = await teardown(cfg, teardownRun, say);
    const left = await leftovers(cfg, teardownRun);
    if (json) process.stdout.write(`${JSON.stringify({ run: teardownRun, ...done, left })}\n`);
    else say(`deleted ${done.deleted}; ${Object.keys(left).length ? `left: ${JSON.stringify(left)}` : 'nothing left'}`);
    process.exit(Object.keys(left).length ? 1 : 0);
  }
  say(`greenlight conformance against ${endpoint} (run id ${run}: every resource it creates is named ${run}-*)`);
  const infra = await infrastructure();
  const names = await stack();
  const configPath = join(work, 'greenlight.config.yml');
  writeFileSync(configPath, stringify(config(infra)));
  const env = {
    ...(endpoint ? { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: cfg.credentials!.accessKeyId, AWS_SECRET_ACCESS_KEY: cfg.credentials!.secretAccessKey } : {}),
    AWS_REGION: region,
    GREENLIGHT_BUCKET: names.bucket,
    GREENLIGHT_TABLE: names.table,
    GREENLIGHT_TOPIC_ARN: names.topic,
    GREENLIGHT_RELEASE_STATE_MACHINE_ARN: names.release,
    GREENLIGHT_CAPACITY_STATE_MACHINE_ARN: names.capacity,
    ...(endpoint ? { AWS_S3_FORCE_PATH_STYLE: 'true' } : {}),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${join(ROOT, 'test', 'conformance', 'moto-shim.mjs')}`.trim(),
    CONFORMANCE_LOG: callLog,
    // An emulator runs no servers: the eip apps' HTTP checks are answered in the shim.
    ...(endpoint ? { CONFORMANCE_HTTP_STUB: '1' } : {}),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  const gl = (...args: string[]) => greenlightAsync(env, configPath, ...args);
  const upload = (key: string, body: unknown) => s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: JSON.stringify(body) }));
  const cases: Case[] = [];
  const skipped: { case: string; why: string }[] = [];
  const sweep = janitor(!!endpoint, [infra.tgs.webBlue, infra.tgs.webGreen, infra.tgs.shopBlue, infra.tgs.shopGreen]);

  // 1. asg on a listener: verify, plan, release, status, history, a hand-typed rollback.
  {
    const c = new Case('asg on a listener');
    cases.push(c);
    say(c.name);
    await upload('releases/web/1.0.1.json', { version: '1.0.1', imageId: infra.images[1] });
    const v = await gl('verify', 'web');
    c.expect('verify: every configured resource OK', v.code === 0, v.json ?? v.text);
    const p = await gl('plan', 'web', '1.0.1');
    const planned = JSON.stringify(p.json?.phases ?? []);
    c.expect('plan: lists the group update and the listener change, changes nothing', p.code === 0 && planned.includes('UpdateAutoScalingGroup') && planned.includes('ModifyListener') && Object.keys(await liveTargets(infra.listener)).join() === infra.tgs.webBlue, p.json ?? p.text);
    const r = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'web', version: '1.0.1' }));
    c.expect('run-local release: released', r.code === 0 && output(r).outcome === 'released', r.json ?? r.text);
    c.expect('read back: the listener forwards to green only', JSON.stringify(await liveTargets(infra.listener)) === JSON.stringify({ [infra.tgs.webGreen]: 1 }) || Object.keys(await liveTargets(infra.listener)).join() === infra.tgs.webGreen, await liveTargets(infra.listener));
    const green = await group(`${run}-web-green`);
    const blue = await group(`${run}-web-blue`);
    c.expect('read back: green at blue\'s size on a new launch-template version; blue retired to 0', green?.DesiredCapacity === 2 && Number(green?.LaunchTemplate?.Version) > 1 && blue?.DesiredCapacity === 0, { green: green?.DesiredCapacity, version: green?.LaunchTemplate?.Version, blue: blue?.DesiredCapacity });
    const s = await gl('status', 'web');
    c.expect('status: green live on 1.0.1', s.code === 0 && JSON.stringify(s.json).includes('"colour":"green","version":"1.0.1"'), s.json ?? s.text);
    const h = await gl('history', 'web');
    c.expect('history: the release recorded as released', h.code === 0 && JSON.stringify(h.json).includes('"released"'), h.json ?? h.text);
    // A rollback goes back to what greenlight released before: release 1.0.2 (to blue), then roll back (to green, 1.0.1).
    await upload('releases/web/1.0.2.json', { version: '1.0.2', imageId: infra.images[4] });
    const second = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'web', version: '1.0.2' }));
    c.expect('a second release (1.0.2, to blue): released', second.code === 0 && output(second).outcome === 'released' && Object.keys(await liveTargets(infra.listener)).join() === infra.tgs.webBlue, second.json ?? second.text);
    const rb = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'web', action: 'rollback' }));
    c.expect('hand-typed rollback: rolled back to 1.0.1', rb.code === 0 && output(rb).outcome === 'rolled-back', rb.json ?? rb.text);
    const back = await group(`${run}-web-green`);
    c.expect('read back: the listener forwards to green again, green back at 2 on 1.0.1\'s version', Object.keys(await liveTargets(infra.listener)).join() === infra.tgs.webGreen && back?.DesiredCapacity === 2 && back?.LaunchTemplate?.Version === green?.LaunchTemplate?.Version, { route: await liveTargets(infra.listener), desired: back?.DesiredCapacity, version: back?.LaunchTemplate?.Version });
    const after = await gl('status', 'web');
    c.expect('status after the rollback: green live on 1.0.1', after.code === 0 && JSON.stringify(after.json).includes('"colour":"green","version":"1.0.1"'), after.json ?? after.text);
  }

  // 2. asg on a rule, canary with preview URLs.
  {
    const c = new Case('asg on a rule: canary and preview URLs');
    cases.push(c);
    say(c.name);
    await upload('releases/shop/4.2.0.json', { version: '4.2.0', imageId: infra.images[2] });
    const v = await gl('verify', 'shop');
    c.expect('verify: OK (rule precedence included)', v.code === 0, v.json ?? v.text);
    const defaultBefore = JSON.stringify(await liveTargets(infra.listener));
    const r = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'shop', version: '4.2.0' }));
    c.expect('run-local release (canary 10%, then all): released', r.code === 0 && output(r).outcome === 'released', r.json ?? r.text);
    const states = JSON.stringify(r.json?.states ?? []);
    c.expect('the canary step baked before the full switch', (states.match(/"SwitchTraffic"/g) ?? []).length >= 2, r.json?.states);
    c.expect('read back: the rule forwards to green only, the default action untouched', Object.keys(await ruleTargets(infra.shopRule, infra.listener)).join() === infra.tgs.shopGreen && JSON.stringify(await liveTargets(infra.listener)) === defaultBefore, await ruleTargets(infra.shopRule, infra.listener));
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: infra.listener }))).Rules ?? [];
    const preview = rules.find((x) => JSON.stringify(x.Conditions).includes('4-2-0.preview.example.com'));
    c.expect('read back: the preview rule 4-2-0.preview.example.com forwards to green', !!preview && Object.keys(forwardOf(preview.Actions as never)).join() === infra.tgs.shopGreen, rules.map((x) => x.Conditions));
  }

  // 3. eip: release (a new server, the address moves), then a rollback (the old one back).
  if (sandbox) skipped.push({ case: 'eip with a rollback', why: "the eip HTTP checks call the new server's private address: the runner must be inside the VPC" });
  else {
    const c = new Case('eip with a rollback');
    cases.push(c);
    say(c.name);
    await upload('releases/site/2.0.1.json', { version: '2.0.1', imageId: infra.images[3] });
    const holder = async () => (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [infra.address] }))).Addresses?.[0]?.InstanceId;
    const state = async (id: string | undefined) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id!] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    // The release keeps the first server stopped for its rollback window (30 s here) and ends
    // after it: it runs in the background while the rollback is typed inside the window.
    const release = greenlightAsync(env, configPath, 'run-local', 'release', '--input', JSON.stringify({ app: 'site', version: '2.0.1' }));
    let moved = false;
    for (let t = 0; t < 120 && !moved; t++) {
      await new Promise((r) => setTimeout(r, 1000));
      moved = (await holder()) !== infra.first && (await state(infra.first)) === 'stopped';
    }
    c.expect('read back: the address moved to a new server; the first one is stopped', moved, { holder: await holder(), first: await state(infra.first) });
    const rb = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'site', action: 'rollback' }));
    c.expect('hand-typed rollback inside the window: rolled back', rb.code === 0 && output(rb).outcome === 'rolled-back', rb.json ?? rb.text);
    c.expect('read back: the address is back on the first server, running', (await holder()) === infra.first && (await state(infra.first)) === 'running', { holder: await holder() });
    const r = await release;
    c.expect('the release ended released, leaving the server it handed back alone', r.code === 0 && output(r).outcome === 'released' && (await state(infra.first)) === 'running', r.json ?? r.text);
  }

  // 4. ECS: a task-definition revision and a service update, as far as the emulator models them.
  {
    const c = new Case('ecs: task-definition revision and service update');
    cases.push(c);
    say(c.name);
    await upload('releases/api/3.0.1.json', { version: '3.0.1', images: { api: 'registry.example.com/api:3.0.1' } });
    const p = await gl('plan', 'api', '3.0.1');
    c.expect('plan: registers a revision and updates green\'s service', p.code === 0 && JSON.stringify(p.json?.phases ?? []).includes('RegisterTaskDefinition') && JSON.stringify(p.json?.phases ?? []).includes('UpdateService'), p.json ?? p.text);
    const r = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'api', version: '3.0.1' }));
    const families = (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${run}-api` }))).taskDefinitionArns ?? [];
    c.expect('read back: a new revision of the live family was registered', families.length === 2, families);
    // moto runs no tasks, so green never turns healthy: the release must end by rolling back
    // cleanly (green back to 0, the rule on blue), not hang or leave traffic on green.
    const green = (await ecs.send(new DescribeServicesCommand({ cluster: `${run}-apps`, services: [`${run}-api-green`] }))).services?.[0];
    c.expect('green\'s service was pointed at the new revision', String(green?.taskDefinition).endsWith(':2'), green?.taskDefinition);
    const reached = JSON.stringify(r.json?.states ?? []);
    c.expect(
      'without running tasks the release rolls back: green at 0, the rule still on blue',
      reached.includes('"PrepareGreen"') && reached.includes('"Rollback"') && output(r).outcome !== 'released' && green?.desiredCount === 0 && Object.keys(await ruleTargets(infra.apiRule, infra.listener)).join() === infra.tgs.apiBlue,
      { outcome: output(r), error: r.json?.error, desired: green?.desiredCount, states: r.json?.states },
    );
  }

  /** What a Lambda builds for a step (src/steps/lambda.ts), against the emulator, for this config. */
  const productDeps = (doc: unknown): Deps => ({
    clients: createClients({ region, endpoint, credentials: cfg.credentials }),
    config: parseConfig(doc),
    now: () => new Date(),
    http: httpGet,
    logger: { info: () => {}, warn: () => {} },
    metrics: () => {},
    env: { artifactBucket: names.bucket, releaseStateMachineArn: names.release, table: names.table, eventBusName: 'default', topicArn: names.topic },
  });

  /** Product code called in-process: only its AWS calls count as exercised (the harness's own are not logged). */
  const asProduct = async <T>(f: () => Promise<T>): Promise<T> => {
    process.env.CONFORMANCE_LOG = callLog;
    try {
      return await f();
    } finally {
      delete process.env.CONFORMANCE_LOG;
    }
  };

  // 5. dispatch, the function EventBridge invokes, called in this process with the clients a
  // Lambda would build: an upload starts one execution (a second delivery none); an ECR push
  // becomes a manifest pinned by digest (written once).
  {
    const c = new Case('dispatch: an upload and an ECR push');
    cases.push(c);
    say(c.name);
    const deps = productDeps(config(infra));
    {
      const put = await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: 'releases/web/1.0.3.json', Body: JSON.stringify({ version: '1.0.3', imageId: infra.images[1] }) }));
      const event = { version: '0', source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: names.bucket }, object: { key: 'releases/web/1.0.3.json', 'version-id': put.VersionId, sequencer: '0001' } } };
      const first = (await asProduct(() => dispatch(deps, event))) as { started?: boolean; executionName?: string };
      const again = (await asProduct(() => dispatch(deps, event))) as { started?: boolean };
      const listed = (await new SFNClient(cfg).send(new ListExecutionsCommand({ stateMachineArn: names.release }))).executions ?? [];
      c.expect(
        'an upload starts one execution, named after it; the same event again starts none',
        first.started === true && again.started === false && listed.filter((e) => e.name === first.executionName).length === 1,
        { first, again, listed: listed.map((e) => e.name) },
      );
      const push = { version: '0', source: 'aws.ecr', account: '123456789012', region, 'detail-type': 'ECR Image Action', detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': `${run}-api`, 'image-tag': '3.1.0', 'image-digest': `sha256:${'ab'.repeat(32)}` } };
      const wrote = await asProduct(() => dispatch(deps, push));
      const body = await (await s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: 'releases/api/3.1.0.json' }))).Body!.transformToString();
      const twice = await asProduct(() => dispatch(deps, push));
      const after = await (await s3.send(new GetObjectCommand({ Bucket: names.bucket, Key: 'releases/api/3.1.0.json' }))).Body!.transformToString();
      // A repeated push leaves the same manifest. (Writing nothing the second time rests on S3's
      // SHA-256 checksum, which moto 4.1.15 does not return: there the manifest is written again.)
      c.expect(
        'an ECR push becomes releases/api/3.1.0.json with the image pinned by digest; the same push again leaves it as it is',
        JSON.parse(body).images?.api === `123456789012.dkr.ecr.${region}.amazonaws.com/${run}-api@sha256:${'ab'.repeat(32)}` && after === body,
        { wrote, twice, body },
      );
    }
  }

  // 6. guard, the function a guard alarm invokes, in-process: a release of web holds the lock
  // (written by greenlight's own lock code) with no traffic on its colour yet; the alarm stops
  // that execution, lets go of the lock and starts a retire of the colour it was preparing.
  {
    const c = new Case('guard: an alarm before traffic moved');
    cases.push(c);
    say(c.name);
    const base = config(infra);
    // Only the guard's config names the alarm (Plan would read it through CloudWatch, which moto cannot answer for SDK v3).
    const guarded = { ...base, apps: { ...base.apps, web: { ...base.apps.web, alarms: [`${run}-web-5xx`] } } };
    const deps = productDeps(guarded);
    {
      const sfn = new SFNClient(cfg);
      const owner = (await sfn.send(new StartExecutionCommand({ stateMachineArn: names.release, name: `${run}-web-release-1-0-9`, input: '{}' }))).executionArn!;
      const now = Math.floor(Date.now() / 1000);
      await changeLock(deps, 'web', (l) => ({ next: acquired(l, { execution: owner, since: Date.now(), version: '1.0.9', action: 'release' }, now + 600), result: true }));
      const out = await asProduct(() => onGuardAlarm(deps, { id: `${run}-alarm`, source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', detail: { alarmName: `${run}-web-5xx`, state: { value: 'ALARM' } } }));
      const stopped = (await sfn.send(new DescribeExecutionCommand({ executionArn: owner }))).status;
      const lock = await readLock(deps.clients.dynamodb, names.table, 'web');
      const retires = ((await sfn.send(new ListExecutionsCommand({ stateMachineArn: names.release }))).executions ?? []).filter((e) => e.name?.startsWith('web-retire-'));
      c.expect(
        'the guard stopped the release, let go of its lock and started a retire execution',
        out[0]?.action === 'abort-started' && stopped !== 'RUNNING' && !lock.owner && retires.length === 1,
        { out, stopped, lock, retires: retires.map((e) => e.name) },
      );
      c.expect('read back: the route untouched (all on green)', Object.keys(await liveTargets(infra.listener)).join() === infra.tgs.webGreen, await liveTargets(infra.listener));
    }
  }

  // 7. replace: an alarm on one web instance, run as a user would (run-local with the alarm's
  // event): Resolve names the instance, MarkUnhealthy has Auto Scaling replace it.
  {
    const c = new Case('replace: an instance alarm marks the instance Unhealthy');
    cases.push(c);
    say(c.name);
    const live = (await group(`${run}-web-green`))?.Instances?.find((i) => i.LifecycleState === 'InService')?.InstanceId;
    const alarm = {
      version: '0',
      id: `${run}-instance-alarm`,
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: { alarmName: `${run}-web-instance`, state: { value: 'ALARM' }, configuration: { metrics: [{ metricStat: { metric: { name: 'StatusCheckFailed', namespace: 'AWS/EC2', dimensions: { InstanceId: live } } } }] } },
    };
    const r = await gl('run-local', 'release', '--input', JSON.stringify(alarm));
    c.expect('run-local with the alarm event: replaced', r.code === 0 && output(r).outcome === 'replaced', r.json ?? r.text);
    const after = (await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [live!] }))).AutoScalingInstances?.[0];
    c.expect('read back: Auto Scaling holds the instance Unhealthy (or has replaced it)', !after || after.HealthStatus?.toUpperCase() === 'UNHEALTHY', after);
  }

  // 8. The preview rule of a version goes when its colour is retired or rolled back (the step
  // retire and rollback call, in-process with a Lambda's clients).
  {
    const c = new Case('preview: the rule of a retired version is removed');
    cases.push(c);
    say(c.name);
    const deps = productDeps(config(infra));
    const shop = deps.config.apps.shop;
    const removed = shop.kind === 'asg' ? await asProduct(() => removePreview(deps, shop, '4.2.0')) : null;
    const again = shop.kind === 'asg' ? await asProduct(() => removePreview(deps, shop, '4.2.0')) : 'not asg';
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: infra.listener }))).Rules ?? [];
    c.expect(
      'the 4-2-0.preview.example.com rule is deleted (a second removal finds nothing); the shop rule stays on green',
      removed === '4-2-0.preview.example.com' && again === null && !rules.some((x) => JSON.stringify(x.Conditions).includes('4-2-0.preview')) && Object.keys(await ruleTargets(infra.shopRule, infra.listener)).join() === infra.tgs.shopGreen,
      { removed, again, rules: rules.map((x) => x.Conditions) },
    );
  }

  // 9. ECS on EC2 capacity: the capacity machine's steps, in-process. An instance launched into
  // blue's group joins the cluster (the harness registers it, as the ECS agent would) and the
  // service's count follows; then one instance terminates: it is drained and the count lowered.
  if (sandbox) skipped.push({ case: 'capacity (ECS on EC2): a launch joins, a termination drains', why: 'container instances register through the ECS agent on a real instance' });
  else {
    const c = new Case('capacity (ECS on EC2): a launch joins, a termination drains');
    cases.push(c);
    say(c.name);
    const deps = productDeps(config(infra));
    const blueGroup = `${run}-jobs-blue`;
    const cluster = `${run}-jobs-blue`;
    const join = async (instanceId: string) =>
      ecs.send(new RegisterContainerInstanceCommand({ cluster, instanceIdentityDocument: JSON.stringify({ instanceId, region, availabilityZone: `${region}a` }) }));
    for (const i of (await group(blueGroup))?.Instances ?? []) await join(i.InstanceId!);
    const first = new Set(((await group(blueGroup))?.Instances ?? []).map((i) => i.InstanceId!));
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: blueGroup, DesiredCapacity: 3 }));
    const fresh = ((await group(blueGroup))?.Instances ?? []).map((i) => i.InstanceId!).find((id) => !first.has(id)) ?? '';
    const lifecycle = (transition: string, instanceId: string) => ({
      version: '0',
      source: 'aws.autoscaling',
      'detail-type': transition === 'autoscaling:EC2_INSTANCE_LAUNCHING' ? 'EC2 Instance-launch Lifecycle Action' : 'EC2 Instance-terminate Lifecycle Action',
      detail: { LifecycleTransition: transition, AutoScalingGroupName: blueGroup, EC2InstanceId: instanceId, LifecycleHookName: 'greenlight-launch', LifecycleActionToken: `${run}-token` },
    });
    const work = await classify(deps, lifecycle('autoscaling:EC2_INSTANCE_LAUNCHING', fresh));
    const notYet = await asProduct(() => joinCheck(deps, { work }));
    await join(fresh);
    const joined = await asProduct(() => joinCheck(deps, { work, previous: notYet }));
    const count = await asProduct(() => setTaskCount(deps, { app: 'jobs', colour: 'blue', raiseOnly: true }));
    const desiredAfterJoin = (await ecs.send(new DescribeServicesCommand({ cluster, services: [`${run}-jobs-blue`] }))).services?.[0]?.desiredCount;
    c.expect(
      'the launched instance is seen joining (not registered, then ACTIVE); the service follows to 3 instances × 2 tasks',
      work.mode === 'launch' && !notYet.joined && joined.joined && count.desired === 6 && desiredAfterJoin === 6,
      { work, notYet, joined, count, desiredAfterJoin },
    );
    const terminating = lifecycle('autoscaling:EC2_INSTANCE_TERMINATING', fresh);
    const drainWork = await classify(deps, { ...terminating, detail: { ...terminating.detail, LifecycleHookName: 'greenlight-terminate' } });
    const started = await asProduct(() => drainStart(deps, { work: drainWork }));
    const checked = await asProduct(() => drainCheck(deps, { work: drainWork, drain: started }));
    const state = (await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [started.containerInstance ?? 'none'] }))).containerInstances?.[0]?.status;
    const desiredAfterDrain = (await ecs.send(new DescribeServicesCommand({ cluster, services: [`${run}-jobs-blue`] }))).services?.[0]?.desiredCount;
    c.expect(
      'the terminating instance is set DRAINING and the count drops to the 2 staying instances × 2; with no task left it is drained',
      !started.held && state === 'DRAINING' && started.count?.desired === 4 && desiredAfterDrain === 4 && checked.drained && !checked.timedOut,
      { started, checked, state, desiredAfterDrain },
    );
  }

  // 10. eip with stamp: image, two releases: each makes an image of the live server and starts
  // the new server from it; retiring keeps one image (keepImages: 1), so the first is deregistered.
  if (sandbox) skipped.push({ case: 'eip stamp: image: two releases, the older image pruned', why: "the eip HTTP checks call the new server's private address: the runner must be inside the VPC" });
  else {
    const c = new Case('eip stamp: image: two releases, the older image pruned');
    cases.push(c);
    say(c.name);
    const holder = async () => (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [infra.stampAddress] }))).Addresses?.[0]?.InstanceId;
    const images = async () => ((await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'tag:greenlight:app', Values: ['stamp'] }] }))).Images ?? []).map((i) => i.ImageId!);
    const bundle = (version: string) => s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: `releases/stamp/${version}.tar.gz`, Body: Buffer.from(`bundle ${version}`) }));
    await bundle('5.0.1');
    const one = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'stamp', version: '5.0.1' }));
    const afterOne = { holder: await holder(), images: await images() };
    c.expect('first release: released, the address on a new server, one image of the first server', one.code === 0 && output(one).outcome === 'released' && afterOne.holder !== infra.stampFirst && afterOne.images.length === 1, { out: one.json ?? one.text, afterOne });
    await bundle('5.0.2');
    const two = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'stamp', version: '5.0.2' }));
    const afterTwo = { holder: await holder(), images: await images() };
    c.expect(
      'second release: released on a third server; the first image deregistered, the second kept (the live server\'s)',
      two.code === 0 && output(two).outcome === 'released' && afterTwo.holder !== afterOne.holder && afterTwo.images.length === 1 && afterTwo.images[0] !== afterOne.images[0],
      { out: two.json ?? two.text, afterTwo },
    );
  }

  // 11. A release onto a colour that still runs instances of an older version (scaled up by hand
  // while retired): the group moves to the new version and Auto Scaling replaces those instances.
  {
    const c = new Case('asg: an idle colour\'s stale instances replaced');
    cases.push(c);
    say(c.name);
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: `${run}-web-blue`, DesiredCapacity: 1 }));
    const stale = (await group(`${run}-web-blue`))?.Instances?.map((i) => i.InstanceId!) ?? [];
    await upload('releases/web/1.0.5.json', { version: '1.0.5', imageId: infra.images[2] });
    const r = await gl('run-local', 'release', '--input', JSON.stringify({ app: 'web', version: '1.0.5' }));
    const blue = await group(`${run}-web-blue`);
    const serving = (blue?.Instances ?? []).filter((i) => !i.LifecycleState?.startsWith('Terminat')).map((i) => i.InstanceId!);
    // What CheckGreen reads to predict when green can be healthy (here green was healthy at its
    // first look). moto 4.1.15 accepts DescribeScalingActivities but lists no activities (a
    // stub): the answer must parse and read as "not known" (CheckGreen then polls), never as a time.
    const since = Date.now() - 3_600_000;
    const entered = await asProduct(() => lastLaunchInService(productDeps(config(infra)).clients.autoscaling, `${run}-web-blue`, since).catch((e: Error) => e.name));
    c.expect('the group\'s launch activities are read (moto lists none: the entry time is unknown, so CheckGreen would poll)', entered === null, entered);
    c.expect(
      'released onto blue; none of the instances that were there before serve in it',
      stale.length === 1 && r.code === 0 && output(r).outcome === 'released' && Object.keys(await liveTargets(infra.listener)).join() === infra.tgs.webBlue && !serving.some((id) => stale.includes(id)),
      { stale, serving, out: r.json ?? r.text },
    );
  }

  // A judged canary's metric read (judge:): GetMetricData over the shop target groups' ALB
  // metrics, as SwitchTraffic makes it. moto publishes no load balancer metrics: against an
  // endpoint that speaks CloudWatch's JSON protocol the call must be accepted and read as no
  // periods (the judgement would then wait, JudgementPending).
  if (endpoint) skipped.push({ case: 'canary judgement: the target groups\' load balancer metrics are read', why: 'moto 4.1.15 answers CloudWatch in the query protocol (XML); SDK v3 speaks JSON 1.0 to it (as for the alarms)' });
  else {
    const c = new Case('canary judgement: the target groups\' load balancer metrics are read');
    cases.push(c);
    say(c.name);
    const end = new Date();
    const read = await asProduct(() =>
      targetGroupPeriods(productDeps(config(infra)).clients.cloudwatch, { listenerArn: infra.listener, targetGroupArns: [infra.tgs.shopGreen, infra.tgs.shopBlue], start: new Date(end.getTime() - 600_000), end, periodSeconds: 60 }).catch((e: Error) => e),
    );
    c.expect('GetMetricData accepted, a result for each target group', read instanceof Map && read.size === 2, read instanceof Map ? Object.fromEntries(read) : `${(read as Error).name}: ${(read as Error).message}`);
  }

  const deregistered = await sweep.stop();
  const lines = readFileSync(callLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { service?: string; operation?: string; repaired?: string });
  const calls = lines.filter((l) => l.operation);
  const operations = [...new Set(calls.map((l) => `${l.service}:${l.operation}`))].sort();
  // Which of the operations greenlight's functions can make (deploy/function-actions.json) this run exercised.
  const asSim = (op: string): string => {
    const [svc, name] = [op.slice(0, op.indexOf(':')), op.slice(op.indexOf(':') + 1)];
    if (/^\d+$/.test(svc)) {
      const [method, path] = name.split(' ');
      if (path.includes('?versioning')) return 's3:GetBucketVersioning';
      return `s3:${method === 'HEAD' ? 'HeadObject' : method === 'PUT' ? 'PutObject' : 'GetObject'}`;
    }
    const map: Record<string, string> = { AmazonEC2ContainerServiceV20141113: 'ecs', DynamoDB_20120810: 'dynamodb', AWSStepFunctions: 'sfn', AWSEvents: 'events', elasticloadbalancing: 'elbv2', monitoring: 'cloudwatch', GraniteServiceVersion20100801: 'cloudwatch' };
    return `${map[svc] ?? svc}:${name}`;
  };
  const exercisedSim = new Set(operations.map(asSim));
  const product = [...new Set(Object.values(committedFunctionActions().functions).flatMap((f) => f.calls))].sort();
  const report = {
    endpoint,
    productOperations: product.length,
    productOperationsExercised: product.filter((o) => exercisedSim.has(o)).length,
    notExercised: product.filter((o) => !exercisedSim.has(o)),
    run,
    target: endpoint ? 'emulator' : 'sandbox account',
    cases: cases.length,
    skipped,
    passed: cases.filter((c) => c.passed).length,
    calls: calls.length,
    operations: operations.length,
    repairs: lines.filter((l) => l.repaired).length,
    stubbedHttp: lines.filter((l) => (l as { stubbedHttp?: string }).stubbedHttp).length,
    deregisteredForMoto: deregistered,
    results: cases.map((c) => ({ case: c.name, passed: c.passed, checks: c.checks })),
    exercised: operations,
  };
  // Everything the run made goes again (unless --keep), and what is left is reported.
  if (!keep) {
    say(`\nteardown of ${run}`);
    const done = await teardown(cfg, run, say);
    Object.assign(report, { teardown: { deleted: done.deleted, errors: done.errors, left: await leftovers(cfg, run) } });
  }
  const left = (report as { teardown?: { left: Record<string, string[]> } }).teardown?.left ?? {};
  if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else say(`\n${report.passed}/${report.cases} cases passed; ${report.calls} AWS calls, ${report.operations} operations (${report.repairs} moto responses repaired)`);
  if (Object.keys(left).length) say(`teardown left: ${JSON.stringify(left)}`);
  process.exit(report.passed === report.cases && !Object.keys(left).length ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`conformance: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
