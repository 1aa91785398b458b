import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateContainerInstancesStateCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { ServiceDeployment, TaskDefinition } from '../core/ecs.js';
import { AwsResourceNotFound } from '../core/errors.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';
import { ecsTagMap } from './tags.js';

registerClient('ecs', (config) => new ECSClient(config));

export interface Service {
  name: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  taskDefinition: string;
  deployments: ServiceDeployment[];
  targetGroupArns: string[];
  /** FARGATE, EC2, or absent with a capacity provider strategy. */
  launchType?: string;
  capacityProviders?: string[];
}

/** Up to 10 services of one cluster in one call; a missing or inactive service is named. */
export async function describeServices(ecs: ECSClient, cluster: string, names: string[]): Promise<Map<string, Service>> {
  const out = await call(`ecs:DescribeServices ${cluster}/${names.join(',')}`, () => ecs.send(new DescribeServicesCommand({ cluster, services: names })));
  const map = new Map<string, Service>();
  for (const s of out.services ?? []) {
    map.set(s.serviceName!, {
      name: s.serviceName!,
      status: s.status ?? 'UNKNOWN',
      desiredCount: s.desiredCount ?? 0,
      runningCount: s.runningCount ?? 0,
      taskDefinition: s.taskDefinition ?? '',
      deployments: (s.deployments ?? []).map((d) => ({
        status: d.status,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount,
        runningCount: d.runningCount,
        failedTasks: d.failedTasks,
        rolloutState: d.rolloutState,
      })),
      targetGroupArns: (s.loadBalancers ?? []).map((lb) => lb.targetGroupArn ?? '').filter(Boolean),
      ...(s.launchType ? { launchType: s.launchType } : {}),
      ...(s.capacityProviderStrategy?.length ? { capacityProviders: s.capacityProviderStrategy.map((c) => c.capacityProvider ?? '') } : {}),
    });
  }
  for (const n of names) {
    const s = map.get(n);
    if (s?.status !== 'ACTIVE') throw new AwsResourceNotFound(`ECS service ${n} not found (or not ACTIVE) in cluster ${cluster}: check serviceName and cluster in the config`);
  }
  return map;
}

export async function describeTaskDefinition(ecs: ECSClient, taskDefinition: string): Promise<{ arn: string; definition: TaskDefinition; tags: Record<string, string> }> {
  const out = await call(`ecs:DescribeTaskDefinition ${taskDefinition}`, () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] })));
  return {
    arn: out.taskDefinition?.taskDefinitionArn ?? '',
    definition: (out.taskDefinition ?? {}) as TaskDefinition,
    tags: ecsTagMap(out.tags),
  };
}

export async function registerTaskDefinition(ecs: ECSClient, definition: TaskDefinition, tags: Record<string, string>): Promise<string> {
  const out = await call(`ecs:RegisterTaskDefinition ${definition.family}`, () =>
    ecs.send(
      new RegisterTaskDefinitionCommand({
        ...(definition as RegisterTaskDefinitionCommandInput),
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      }),
    ),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

export async function updateService(ecs: ECSClient, cluster: string, service: string, change: { taskDefinition?: string; desiredCount?: number }): Promise<void> {
  await call(`ecs:UpdateService ${cluster}/${service}`, () => ecs.send(new UpdateServiceCommand({ cluster, service, ...change })));
}

/**
 * The cluster's ACTIVE container instances: their EC2 instance, task count and when they
 * registered (epoch ms, 0 if not said). All of them, or the first `pages` pages of 100.
 */
export async function activeContainerInstances(ecs: ECSClient, cluster: string, pages = Number.POSITIVE_INFINITY): Promise<{ arn: string; ec2InstanceId: string; tasks: number; registeredAt: number }[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  let read = 0;
  do {
    const page = await call(`ecs:ListContainerInstances ${cluster}`, () => ecs.send(new ListContainerInstancesCommand({ cluster, status: 'ACTIVE', nextToken, maxResults: 100 })));
    arns.push(...(page.containerInstanceArns ?? []));
    nextToken = page.nextToken;
    read++;
  } while (nextToken && read < pages);
  const out: { arn: string; ec2InstanceId: string; tasks: number; registeredAt: number }[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const batch = await call(`ecs:DescribeContainerInstances ${cluster}`, () =>
      ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns.slice(i, i + 100) })),
    );
    for (const ci of batch.containerInstances ?? []) if (ci.status === 'ACTIVE') out.push({ arn: ci.containerInstanceArn ?? '', ec2InstanceId: ci.ec2InstanceId ?? '', tasks: (ci.runningTasksCount ?? 0) + (ci.pendingTasksCount ?? 0), registeredAt: ci.registeredAt ? new Date(ci.registeredAt).getTime() : 0 });
  }
  return out;
}

export interface ContainerInstanceState {
  arn: string;
  status: string;
  runningTasksCount: number;
  pendingTasksCount: number;
}

/** The container instance an EC2 instance registered as, if it has joined (any status but INACTIVE). */
export async function containerInstanceOf(ecs: ECSClient, cluster: string, ec2InstanceId: string): Promise<ContainerInstanceState | null> {
  const list = await call(`ecs:ListContainerInstances ${cluster} ${ec2InstanceId}`, () =>
    ecs.send(new ListContainerInstancesCommand({ cluster, filter: `ec2InstanceId == ${ec2InstanceId}` })),
  );
  const arns = list.containerInstanceArns ?? [];
  if (!arns.length) return null;
  const out = await call(`ecs:DescribeContainerInstances ${cluster}`, () => ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns })));
  const ci = (out.containerInstances ?? []).find((c) => c.ec2InstanceId === ec2InstanceId && c.status !== 'INACTIVE');
  return ci
    ? { arn: ci.containerInstanceArn ?? '', status: ci.status ?? '', runningTasksCount: ci.runningTasksCount ?? 0, pendingTasksCount: ci.pendingTasksCount ?? 0 }
    : null;
}

/** A container instance by its ARN (one call, where containerInstanceOf lists first); null once it is INACTIVE or gone. */
export async function containerInstanceByArn(ecs: ECSClient, cluster: string, arn: string): Promise<ContainerInstanceState | null> {
  const out = await call(`ecs:DescribeContainerInstances ${cluster}`, () => ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: [arn] })));
  const ci = (out.containerInstances ?? []).find((c) => c.containerInstanceArn === arn && c.status !== 'INACTIVE');
  return ci
    ? { arn: ci.containerInstanceArn ?? '', status: ci.status ?? '', runningTasksCount: ci.runningTasksCount ?? 0, pendingTasksCount: ci.pendingTasksCount ?? 0 }
    : null;
}

/** DRAINING: ECS places no new task there and replaces its service tasks elsewhere first. */
export async function setDraining(ecs: ECSClient, cluster: string, containerInstanceArns: string[]): Promise<void> {
  // UpdateContainerInstancesState takes at most 10 container instances per call.
  for (let i = 0; i < containerInstanceArns.length; i += 10)
    await call(`ecs:UpdateContainerInstancesState ${cluster}`, () =>
      ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: containerInstanceArns.slice(i, i + 10), status: 'DRAINING' })),
    );
}

/**
 * When the last of the service's running tasks on `taskDefinition` started (epoch ms), if at
 * least `count` of them run: ECS registers a task with its target groups as it starts
 * (ACTIVATING, just before RUNNING), so this bounds green's last registration. One page of
 * tasks at most (100: the reads stay flat as the service grows); `complete` says whether that
 * was every task, else `at` is the latest start among the page's, a lower bound.
 */
export async function lastTaskStart(ecs: ECSClient, cluster: string, serviceName: string, taskDefinition: string, count: number): Promise<{ at: number; complete: boolean } | null> {
  const page = await call(`ecs:ListTasks ${cluster}/${serviceName} RUNNING`, () => ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus: 'RUNNING', maxResults: 100 })));
  const arns = page.taskArns ?? [];
  if (!arns.length) return null;
  const out = await call(`ecs:DescribeTasks ${cluster} ${arns.length} tasks`, () => ecs.send(new DescribeTasksCommand({ cluster, tasks: arns })));
  const starts = (out.tasks ?? []).filter((t) => t.lastStatus === 'RUNNING' && t.taskDefinitionArn === taskDefinition && t.startedAt).map((t) => t.startedAt!.getTime());
  const complete = !page.nextToken;
  if (!starts.length || (complete && starts.length < count)) return null;
  return { at: Math.max(...starts), complete };
}

/** Why the service's most recently stopped task stopped (e.g. CannotPullContainerError), if any stopped in the last hour. */
export async function lastStoppedReason(ecs: ECSClient, cluster: string, serviceName: string): Promise<string | null> {
  const list = await call(`ecs:ListTasks ${cluster}/${serviceName} STOPPED`, () => ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus: 'STOPPED', maxResults: 100 })));
  const arns = list.taskArns ?? [];
  if (!arns.length) return null;
  const out = await call(`ecs:DescribeTasks ${cluster} ${arns.length} tasks`, () => ecs.send(new DescribeTasksCommand({ cluster, tasks: arns })));
  const newest = (out.tasks ?? []).filter((t) => t.stoppedReason).sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))[0];
  return newest?.stoppedReason ?? null;
}

/** The services' tags, by name (DescribeServices with include TAGS). */
export async function serviceTags(ecs: ECSClient, cluster: string, names: string[]): Promise<Map<string, Record<string, string>>> {
  const out = await call(`ecs:DescribeServices ${cluster}/${names.join(',')} (tags)`, () => ecs.send(new DescribeServicesCommand({ cluster, services: names, include: ['TAGS'] })));
  return new Map((out.services ?? []).map((s) => [s.serviceName ?? '', ecsTagMap(s.tags)]));
}
