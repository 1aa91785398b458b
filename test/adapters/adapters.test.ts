import {
  AutoScalingClient,
  AutoScalingServiceException,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateVersionCommand, DescribeImagesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { DescribeContainerInstancesCommand, DescribeServicesCommand, ECSClient, ListContainerInstancesCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { completeLifecycleAction, describeGroups, updateGroup } from '../../src/aws/autoscaling.js';
import { createLaunchTemplateVersion, imageOwnership } from '../../src/aws/ec2.js';
import { activeContainerInstances, containerInstanceByArn, describeServices } from '../../src/aws/ecs.js';
import { readRoute, targetHealth, writeRoute } from '../../src/aws/elbv2.js';
import { mapAwsError } from '../../src/aws/errors.js';
import { findObject, headObject } from '../../src/aws/s3.js';
import { startExecution } from '../../src/aws/sfn.js';

const s3 = mockClient(S3Client);
const ec2 = mockClient(EC2Client);
const asg = mockClient(AutoScalingClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const sfn = mockClient(SFNClient);
const meta = { $metadata: { httpStatusCode: 400 } };

beforeEach(() => {
  for (const m of [s3, ec2, asg, elb, sfn]) m.reset();
});

describe('Adapter: s3', () => {
  it('pins the version and returns S3 full-object SHA-256 only', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'v1', ContentLength: 10, ChecksumSHA256: 'c2hh', ChecksumType: 'FULL_OBJECT' });
    expect(await headObject(new S3Client({}), 'b', 'k', 'v1')).toEqual({ versionId: 'v1', size: 10, sha256: 'c2hh' });
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({ Bucket: 'b', Key: 'k', VersionId: 'v1', ChecksumMode: 'ENABLED' });
    s3.on(HeadObjectCommand).resolves({ VersionId: 'v1', ContentLength: 10, ChecksumSHA256: 'c2hh-5', ChecksumType: 'COMPOSITE' });
    expect((await headObject(new S3Client({}), 'b', 'k')).sha256).toBeNull();
  });
  it('refuses an unversioned object', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'null', ContentLength: 1 });
    await expect(headObject(new S3Client({}), 'b', 'k')).rejects.toThrow(/versioning enabled/);
  });
  it('findObject returns null for a missing key', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    expect(await findObject(new S3Client({}), 'b', 'k')).toBeNull();
  });
});

describe('Adapter: ec2', () => {
  it('imageOwnership: missing for InvalidAMIID.NotFound; another owner\'s image is named with its owner; asks with the Owners filter', async () => {
    ec2.on(DescribeImagesCommand).rejects(new EC2ServiceException({ name: 'InvalidAMIID.NotFound', $fault: 'client', ...meta }));
    expect(await imageOwnership(new EC2Client({}), 'ami-0123456789abcdef0', ['self'])).toEqual({ exists: false, allowed: false });
    ec2.reset();
    ec2.on(DescribeImagesCommand, { ImageIds: ['ami-0123456789abcdef0'], Owners: ['self'] }).resolves({ Images: [] });
    ec2.on(DescribeImagesCommand, { ImageIds: ['ami-0123456789abcdef0'] }, true).resolves({ Images: [{ ImageId: 'ami-0123456789abcdef0', OwnerId: '999999999999', State: 'available' }] });
    expect(await imageOwnership(new EC2Client({}), 'ami-0123456789abcdef0', ['self'])).toEqual({ exists: true, allowed: false, owner: '999999999999' });
  });
  it('creates a version from the live one, changing only the artifact, idempotently', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: 7 } });
    const v = await createLaunchTemplateVersion(new EC2Client({}), { launchTemplateId: 'lt-1', sourceVersion: '6', description: 'd', imageId: 'ami-1', clientToken: 't' });
    expect(v).toBe('7');
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0].args[0].input).toEqual({
      LaunchTemplateId: 'lt-1',
      SourceVersion: '6',
      VersionDescription: 'd',
      ClientToken: 't',
      LaunchTemplateData: { ImageId: 'ami-1' },
    });
  });
});

describe('Adapter: autoscaling', () => {
  it('describes both colours in one call and names a missing group', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'web-blue',
          MinSize: 2,
          MaxSize: 4,
          DesiredCapacity: 2,
          LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '3' },
          TargetGroupARNs: ['tg'],
          Instances: [{ InstanceId: 'i-1', LifecycleState: 'InService', HealthStatus: 'Healthy', LaunchTemplate: { Version: '3' }, AvailabilityZone: 'a', ProtectedFromScaleIn: false }],
          AvailabilityZones: [],
          DefaultCooldown: 0,
          HealthCheckType: 'ELB',
          CreatedTime: new Date(),
        },
      ],
    });
    await expect(describeGroups(new AutoScalingClient({}), ['web-blue', 'web-green'])).rejects.toThrow(/"web-green" not found/);
    expect(asg.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(1);
    const g = (await describeGroups(new AutoScalingClient({}), ['web-blue'])).get('web-blue')!;
    expect(g).toMatchObject({ capacity: { min: 2, max: 4, desired: 2 }, launchTemplateVersion: '3', instances: [{ instanceId: 'i-1', launchTemplateVersion: '3' }] });
  });
  it('pins the launch template version with the capacity in one update', async () => {
    asg.on(UpdateAutoScalingGroupCommand).resolves({});
    await updateGroup(new AutoScalingClient({}), 'web-green', { min: 2, max: 4, desired: 2, launchTemplate: { id: 'lt-1', version: '7' } });
    expect(asg.commandCalls(UpdateAutoScalingGroupCommand)[0].args[0].input).toEqual({
      AutoScalingGroupName: 'web-green',
      MinSize: 2,
      MaxSize: 4,
      DesiredCapacity: 2,
      LaunchTemplate: { LaunchTemplateId: 'lt-1', Version: '7' },
    });
  });
});

describe('Adapter: elbv2', () => {
  it('reads and writes a listener default action, or a rule', async () => {
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ DefaultActions: [{ Type: 'forward', TargetGroupArn: 'tg' }] }] });
    elb.on(DescribeRulesCommand).resolves({ Rules: [{ Actions: [{ Type: 'forward', TargetGroupArn: 'rule-tg' }] }] });
    elb.on(ModifyListenerCommand).resolves({});
    elb.on(ModifyRuleCommand).resolves({});
    const client = new ElasticLoadBalancingV2Client({});
    expect(await readRoute(client, { listenerArn: 'l' })).toEqual([{ Type: 'forward', TargetGroupArn: 'tg' }]);
    expect(await readRoute(client, { listenerArn: 'l', ruleArn: 'r' })).toEqual([{ Type: 'forward', TargetGroupArn: 'rule-tg' }]);
    await writeRoute(client, { listenerArn: 'l', ruleArn: 'r' }, [{ Type: 'forward', TargetGroupArn: 'x' }]);
    expect(elb.commandCalls(ModifyRuleCommand)[0].args[0].input).toEqual({ RuleArn: 'r', Actions: [{ Type: 'forward', TargetGroupArn: 'x' }] });
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });
  it('maps a missing target group to AwsResourceNotFound', async () => {
    elb.onAnyCommand().rejects(new TargetGroupNotFoundException({ message: 'nope', ...meta }));
    await expect(targetHealth(new ElasticLoadBalancingV2Client({ maxAttempts: 1 }), 'tg')).rejects.toMatchObject({ name: 'AwsResourceNotFound' });
  });
});

describe('Adapter: sfn', () => {
  it('treats ExecutionAlreadyExists as a duplicate, not an error', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', ...meta }));
    expect(await startExecution(new SFNClient({}), 'arn', 'n', {})).toEqual({ started: false, reason: 'duplicate' });
  });
});

describe('Function: mapAwsError', () => {
  const err = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
    new ElasticLoadBalancingV2ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: 'm' });
  it.each([
    ['Throttling', 400, 'Throttled'],
    ['RequestLimitExceeded', 503, 'Throttled'],
    ['InternalFailure', 500, 'TransientAwsError'],
    ['ResourceContention', 400, 'TransientAwsError'],
    ['AccessDenied', 403, 'AwsAccessDenied'],
    ['InvalidLaunchTemplateId.NotFound', 400, 'AwsResourceNotFound'],
    ['ValidationError', 400, 'AwsRequestRejected'],
  ])('%s (%i) → %s', (name, status, want) => {
    expect(mapAwsError(err(name, status, status >= 500 ? 'server' : 'client'), 'op').name).toBe(want);
  });
  it('maps the Auto Scaling "not found" ValidationError to AwsResourceNotFound', () => {
    const e = new ElasticLoadBalancingV2ServiceException({ name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'AutoScalingGroup name not found - x' });
    expect(mapAwsError(e, 'op').name).toBe('AwsResourceNotFound');
  });
  it('keeps the operation and the AWS message, and the cause', () => {
    const original = err('Throttling', 400);
    const mapped = mapAwsError(original, 'elasticloadbalancing:ModifyListener');
    expect(mapped.message).toBe('elasticloadbalancing:ModifyListener: Throttling: m');
    expect(mapped.cause).toBe(original);
  });
});

describe('Adapter: ecs', () => {
  const ecsMock = mockClient(ECSClient);
  beforeEach(() => {
    ecsMock.reset();
  });
  it('names a missing service instead of returning nothing', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'x', reason: 'MISSING' }] });
    await expect(describeServices(new ECSClient({}), 'c', ['api-green'])).rejects.toThrow(/api-green not found \(or not ACTIVE\) in cluster c/);
  });
  it('pages through container instances and keeps the ACTIVE ones', async () => {
    ecsMock
      .on(ListContainerInstancesCommand)
      .resolvesOnce({ containerInstanceArns: ['a'], nextToken: 't' })
      .resolvesOnce({ containerInstanceArns: ['b'] });
    ecsMock.on(DescribeContainerInstancesCommand).resolves({
      containerInstances: [
        { containerInstanceArn: 'a', ec2InstanceId: 'i-a', status: 'ACTIVE', runningTasksCount: 2, pendingTasksCount: 1, registeredAt: new Date('2026-01-05T09:01:10Z') },
        { containerInstanceArn: 'b', ec2InstanceId: 'i-b', status: 'DRAINING' },
      ],
    });
    // registeredAt (epoch ms) is what JoinCheck learns a cluster's join delay from.
    expect(await activeContainerInstances(new ECSClient({}), 'c')).toEqual([{ arn: 'a', ec2InstanceId: 'i-a', tasks: 3, registeredAt: Date.parse('2026-01-05T09:01:10Z') }]);
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(2);
    expect(ecsMock.commandCalls(DescribeContainerInstancesCommand)[0].args[0].input.containerInstances).toEqual(['a', 'b']);
  });
  it('reads only the first page of container instances when asked (a first look at a launch stays flat in the cluster size)', async () => {
    ecsMock.on(ListContainerInstancesCommand).resolvesOnce({ containerInstanceArns: ['a'], nextToken: 't' }).resolvesOnce({ containerInstanceArns: ['b'] });
    ecsMock.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: 'a', ec2InstanceId: 'i-a', status: 'ACTIVE' }] });
    expect((await activeContainerInstances(new ECSClient({}), 'c', 1)).map((c) => c.arn)).toEqual(['a']);
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(1);
  });
  it('reads one container instance by its ARN in one call, and none once it is INACTIVE', async () => {
    ecsMock.on(DescribeContainerInstancesCommand).resolvesOnce({ containerInstances: [{ containerInstanceArn: 'a', status: 'DRAINING', runningTasksCount: 1, pendingTasksCount: 0 }] }).resolvesOnce({ containerInstances: [{ containerInstanceArn: 'a', status: 'INACTIVE' }] });
    expect(await containerInstanceByArn(new ECSClient({}), 'c', 'a')).toEqual({ arn: 'a', status: 'DRAINING', runningTasksCount: 1, pendingTasksCount: 0 });
    expect(await containerInstanceByArn(new ECSClient({}), 'c', 'a')).toBeNull();
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(0);
    expect(ecsMock.commandCalls(DescribeContainerInstancesCommand)[0].args[0].input).toEqual({ cluster: 'c', containerInstances: ['a'] });
  });
});

describe('Adapter: lifecycle actions', () => {
  it('treats an action that is no longer open as already completed', async () => {
    asg.on(CompleteLifecycleActionCommand).rejects(
      new AutoScalingServiceException({ name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'No active Lifecycle Action found with token t' }),
    );
    const ref = { group: 'g', hook: 'h', token: 't', instanceId: 'i-1' };
    expect(await completeLifecycleAction(new AutoScalingClient({}), ref, 'CONTINUE')).toBe('already');
    asg.on(CompleteLifecycleActionCommand).resolves({});
    expect(await completeLifecycleAction(new AutoScalingClient({}), ref, 'ABANDON')).toBe('completed');
    expect(asg.commandCalls(CompleteLifecycleActionCommand).at(-1)!.args[0].input).toEqual({
      AutoScalingGroupName: 'g',
      LifecycleHookName: 'h',
      LifecycleActionToken: 't',
      InstanceId: 'i-1',
      LifecycleActionResult: 'ABANDON',
    });
  });
});
