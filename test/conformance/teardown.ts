// Teardown for a conformance run: everything the suite created is named (or tagged) `<run>-*`,
// or lives in the run's VPC. `teardown(run)` deletes it in the order AWS requires (groups and
// services before clusters, load balancer before target groups, instances before the security
// group, subnets and VPC), retrying what AWS refuses while a dependency is still going away;
// `leftovers(run)` lists whatever is still there. Harness only, never part of the product.
import { AutoScalingClient, DeleteAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteLaunchTemplateCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeregisterImageCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DisassociateAddressCommand,
  EC2Client,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeregisterContainerInstanceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteBucketCommand, DeleteObjectsCommand, ListBucketsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteStateMachineCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';

export interface Endpoint {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The apps whose images the suite's eip releases create (tagged greenlight:app). */
const IMAGE_APPS = ['stamp', 'site'];

const named = (run: string) => (name: string | undefined) => !!name?.startsWith(`${run}-`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** When the run began: its id is `c` + Date.now() in base 36. */
export const runStartedAt = (run: string) => Number.parseInt(run.slice(1), 36);

function clients(e: Endpoint) {
  const cfg = { region: e.region, ...(e.endpoint ? { endpoint: e.endpoint } : {}), ...(e.credentials ? { credentials: e.credentials } : {}) };
  return {
    ec2: new EC2Client(cfg),
    elb: new ElasticLoadBalancingV2Client(cfg),
    asg: new AutoScalingClient(cfg),
    ecs: new ECSClient(cfg),
    s3: new S3Client({ ...cfg, forcePathStyle: !!e.endpoint }),
    ddb: new DynamoDBClient(cfg),
    sns: new SNSClient(cfg),
    sfn: new SFNClient(cfg),
  };
}

/** Retry what AWS refuses while a dependency is still going away (DependencyViolation, ResourceInUse, ...). */
async function persist(what: string, f: () => Promise<unknown>, seconds: number, errors: string[]): Promise<void> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    try {
      await f();
      return;
    } catch (e) {
      const name = (e as Error).name;
      if (/NotFound|NoSuch|does not exist|InvalidGroup\.NotFound/i.test(`${name} ${(e as Error).message}`)) return;
      if (Date.now() > until) {
        errors.push(`${what}: ${name}: ${(e as Error).message}`);
        return;
      }
      await sleep(5000);
    }
  }
}

async function vpcOf(ec2: EC2Client, run: string): Promise<string | undefined> {
  const vpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: [`${run}-vpc`] }] }))).Vpcs ?? [];
  return vpcs[0]?.VpcId;
}

async function instancesIn(ec2: EC2Client, vpc: string | undefined): Promise<string[]> {
  if (!vpc) return [];
  const r = (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).Reservations ?? [];
  return r.flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated').map((i) => i.InstanceId!);
}

async function addressesOf(ec2: EC2Client, run: string, instances: string[]) {
  const all = (await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [];
  return all.filter((a) => (a.Tags ?? []).some((t) => t.Key === 'Name' && named(run)(t.Value)) || (a.InstanceId && instances.includes(a.InstanceId)));
}

async function imagesOf(ec2: EC2Client, run: string) {
  const images = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:greenlight:app', Values: IMAGE_APPS }] }))).Images ?? [];
  return images.filter((i) => i.CreationDate && Date.parse(i.CreationDate) >= runStartedAt(run) - 60_000);
}

/** The run's clusters still ACTIVE (a deleted cluster stays listed as INACTIVE for a while). */
async function activeClusters(ecs: ECSClient, run: string): Promise<string[]> {
  const arns = ((await ecs.send(new ListClustersCommand({}))).clusterArns ?? []).filter((a) => named(run)(a.split('/').pop()));
  if (!arns.length) return [];
  return ((await ecs.send(new DescribeClustersCommand({ clusters: arns }))).clusters ?? []).filter((x) => x.status === 'ACTIVE').map((x) => x.clusterArn!);
}

/** What is still there, by kind: empty when the teardown is complete. */
export async function leftovers(e: Endpoint, run: string): Promise<Record<string, string[]>> {
  const c = clients(e);
  const is = named(run);
  const vpc = await vpcOf(c.ec2, run);
  const instances = await instancesIn(c.ec2, vpc);
  const clusters = await activeClusters(c.ecs, run);
  const out: Record<string, string[]> = {
    vpc: vpc ? [vpc] : [],
    instances,
    addresses: (await addressesOf(c.ec2, run, instances)).map((a) => a.AllocationId!),
    images: (await imagesOf(c.ec2, run)).map((i) => i.ImageId!),
    launchTemplates: ((await c.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).filter((t) => is(t.LaunchTemplateName)).map((t) => t.LaunchTemplateName!),
    autoScalingGroups: ((await c.asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).filter((g) => is(g.AutoScalingGroupName)).map((g) => g.AutoScalingGroupName!),
    loadBalancers: ((await c.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).filter((l) => is(l.LoadBalancerName)).map((l) => l.LoadBalancerName!),
    targetGroups: ((await c.elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).filter((t) => is(t.TargetGroupName)).map((t) => t.TargetGroupName!),
    clusters,
    taskDefinitions: ((await c.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${run}-`, status: 'ACTIVE' }))).taskDefinitionArns ?? []).filter((a) => is(a.split('/').pop())),
    buckets: ((await c.s3.send(new ListBucketsCommand({}))).Buckets ?? []).filter((b) => is(b.Name)).map((b) => b.Name!),
    tables: ((await c.ddb.send(new ListTablesCommand({}))).TableNames ?? []).filter(is),
    topics: ((await c.sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn!).filter((a) => is(a.split(':').pop())),
    stateMachines: ((await c.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []).filter((m) => is(m.name)).map((m) => m.name!),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v.length));
}

/** Delete everything the run created. Returns the count deleted and what AWS still refused at the end. */
export async function teardown(e: Endpoint, run: string, say: (s: string) => void = () => {}): Promise<{ deleted: number; errors: string[] }> {
  const c = clients(e);
  const is = named(run);
  const errors: string[] = [];
  let deleted = 0;
  const del = async (what: string, f: () => Promise<unknown>, seconds = 600) => {
    say(`  delete ${what}`);
    const refused = errors.length;
    await persist(what, f, seconds, errors);
    if (errors.length === refused) deleted++;
  };

  // Auto Scaling groups first (they would replace the instances terminated below).
  for (const g of ((await c.asg.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? []).filter((x) => is(x.AutoScalingGroupName)))
    await del(`Auto Scaling group ${g.AutoScalingGroupName}`, () => c.asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: g.AutoScalingGroupName, ForceDelete: true })));

  // ECS: services to 0 and deleted, then their clusters and the task definitions.
  const clusters = await activeClusters(c.ecs, run);
  for (const cluster of clusters) {
    // A cluster with registered container instances cannot be deleted.
    for (const ci of (await c.ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns ?? [])
      await del(`container instance ${ci.split('/').pop()}`, () => c.ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: ci, force: true })));
    for (const service of (await c.ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? []) {
      await persist(`scale ${service} to 0`, () => c.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 0 })), 60, errors);
      await del(`ECS service ${service.split('/').pop()}`, () => c.ecs.send(new DeleteServiceCommand({ cluster, service, force: true })));
    }
  }
  for (const cluster of clusters) await del(`ECS cluster ${cluster.split('/').pop()}`, () => c.ecs.send(new DeleteClusterCommand({ cluster })));
  for (const td of ((await c.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${run}-`, status: 'ACTIVE' }))).taskDefinitionArns ?? []).filter((a) => is(a.split('/').pop())))
    await del(`task definition ${td.split('/').pop()}`, () => c.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: td })));

  // The load balancer (its listeners and rules, preview rules included, go with it), then the target groups.
  for (const lb of ((await c.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).filter((l) => is(l.LoadBalancerName)))
    await del(`load balancer ${lb.LoadBalancerName}`, () => c.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn })));
  for (const tg of ((await c.elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).filter((t) => is(t.TargetGroupName)))
    await del(`target group ${tg.TargetGroupName}`, () => c.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn })));

  // Addresses, instances in the run's VPC, images greenlight made of them (and their snapshots), launch templates.
  const vpc = await vpcOf(c.ec2, run);
  const instances = await instancesIn(c.ec2, vpc);
  for (const a of await addressesOf(c.ec2, run, instances)) {
    if (a.AssociationId) await persist(`disassociate ${a.AllocationId}`, () => c.ec2.send(new DisassociateAddressCommand({ AssociationId: a.AssociationId })), 60, errors);
    await del(`address ${a.AllocationId}`, () => c.ec2.send(new ReleaseAddressCommand({ AllocationId: a.AllocationId })));
  }
  if (instances.length) await del(`${instances.length} instance(s)`, () => c.ec2.send(new TerminateInstancesCommand({ InstanceIds: instances })));
  for (const image of await imagesOf(c.ec2, run)) {
    await del(`image ${image.ImageId}`, () => c.ec2.send(new DeregisterImageCommand({ ImageId: image.ImageId })));
    for (const snap of (image.BlockDeviceMappings ?? []).map((b) => b.Ebs?.SnapshotId).filter((x): x is string => !!x)) {
      await del(`snapshot ${snap}`, () => c.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snap })), 120);
    }
  }
  for (const t of ((await c.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).filter((x) => is(x.LaunchTemplateName)))
    await del(`launch template ${t.LaunchTemplateName}`, () => c.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: t.LaunchTemplateId })));

  // The network, once the instances and the load balancer's interfaces are gone.
  if (vpc) {
    for (const g of ((await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).SecurityGroups ?? []).filter((x) => x.GroupName !== 'default'))
      await del(`security group ${g.GroupName}`, () => c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId })));
    for (const s of (await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).Subnets ?? [])
      await del(`subnet ${s.SubnetId}`, () => c.ec2.send(new DeleteSubnetCommand({ SubnetId: s.SubnetId })));
    await del(`VPC ${vpc}`, () => c.ec2.send(new DeleteVpcCommand({ VpcId: vpc })));
  }

  // greenlight's own resources: the bucket (every object version), the table, the topic, the state machines.
  for (const b of ((await c.s3.send(new ListBucketsCommand({}))).Buckets ?? []).filter((x) => is(x.Name))) {
    for (let more = true; more; ) {
      const page = await c.s3.send(new ListObjectVersionsCommand({ Bucket: b.Name }));
      const keys = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
      if (keys.length) await c.s3.send(new DeleteObjectsCommand({ Bucket: b.Name, Delete: { Objects: keys } }));
      more = keys.length > 0 && !!page.IsTruncated;
    }
    await del(`bucket ${b.Name}`, () => c.s3.send(new DeleteBucketCommand({ Bucket: b.Name })));
  }
  for (const t of ((await c.ddb.send(new ListTablesCommand({}))).TableNames ?? []).filter(is)) await del(`table ${t}`, () => c.ddb.send(new DeleteTableCommand({ TableName: t })));
  for (const t of ((await c.sns.send(new ListTopicsCommand({}))).Topics ?? []).filter((x) => is(x.TopicArn?.split(':').pop())))
    await del(`topic ${t.TopicArn}`, () => c.sns.send(new DeleteTopicCommand({ TopicArn: t.TopicArn })));
  for (const m of ((await c.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []).filter((x) => is(x.name)))
    await del(`state machine ${m.name}`, () => c.sfn.send(new DeleteStateMachineCommand({ stateMachineArn: m.stateMachineArn })));
  return { deleted, errors };
}
