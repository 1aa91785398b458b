import { describeGroups, updateGroup } from '../../aws/autoscaling.js';
import { activeContainerInstances, describeServices, describeTaskDefinition, lastStoppedReason, lastTaskStart, registerTaskDefinition, updateService } from '../../aws/ecs.js';
import { targetHealth } from '../../aws/elbv2.js';
import { countsAsCapacity } from '../../core/capacity.js';
import { type EcsAppConfig, passRoleListed } from '../../core/config.js';
import { assessService, deriveTaskDefinition } from '../../core/ecs.js';
import { CapacityTimeout, GreenCrashLooping, InvalidInput } from '../../core/errors.js';
import { parseReleaseDescription, type Release, releaseDescription, type Settings } from '../../core/release.js';
import type { Deps } from '../deps.js';
import type { Shift } from '../traffic.js';
import type { Assessment, CapacityState, Green, PreparedGreen, RoutedPlan, Side } from '../types.js';
import { deadline, zeroGroup } from './asg.js';
import type { GreenInput, NextCheck, Retired, RetireInput, RollbackInput, RolledBack, SwitchInput } from './driver.js';
import { nextCheckRouted, planRouted, prepareRouted, retireRouted, rollbackRouted, switchRouted } from './routed.js';

// Kind ecs: each colour is an ECS service (Fargate, or EC2 capacity from the colour's own
// cluster and Auto Scaling group); a release is a task-definition revision.

export const RELEASE_TAG = 'greenlight:release';

async function service(deps: Deps, side: Side) {
  return (await describeServices(deps.clients.ecs, side.cluster!, [side.serviceName!])).get(side.serviceName!)!;
}

export async function planEcs(deps: Deps, app: EcsAppConfig, release: Release, live: Side, idle: Side): Promise<Pick<RoutedPlan, 'live' | 'alreadyLive' | 'needsCapacity'>> {
  const [liveSvc, idleSvc] = await Promise.all([service(deps, live), service(deps, idle)]);
  for (const [s, svc] of [
    [live, liveSvc],
    [idle, idleSvc],
  ] as const) {
    if (!svc.targetGroupArns.includes(s.targetGroupArn))
      throw new InvalidInput(`ECS service ${s.serviceName} (${s.colour}) is not registered with ${s.targetGroupArn}: fix its loadBalancers in your infrastructure code`);
  }
  if (liveSvc.runningCount === 0) throw new InvalidInput(`the live colour (${live.colour}, service ${live.serviceName}) runs no task: there is no count to copy`);
  const td = await describeTaskDefinition(deps.clients.ecs, liveSvc.taskDefinition);
  // The revision greenlight registers keeps the live roles; its role may pass only the listed ones.
  const roles = [td.definition.taskRoleArn, td.definition.executionRoleArn].filter((r): r is string => typeof r === 'string' && r.length > 0);
  const unlisted = roles.filter((r) => !passRoleListed(app.passRoles, r));
  if (unlisted.length)
    throw new InvalidInput(
      `the live task definition ${td.arn} uses ${unlisted.join(' and ')}, not in apps.${release.app}.passRoles: list ${unlisted.length > 1 ? 'them' : 'it'} there (greenlight may pass only those roles to ECS) and redeploy greenlight`,
    );
  // Check the manifest against the live task definition now, before any change.
  deriveTaskDefinition(td.definition, release.artifact.images ?? {}, release.artifact.environment ?? {}, manifestPolicy(app, release.app));
  let capacity = null;
  if (app.capacity === 'ec2') {
    const groups = await describeGroups(deps.clients.autoscaling, [live.autoScalingGroupName!, idle.autoScalingGroupName!]);
    capacity = groups.get(live.autoScalingGroupName!)!.capacity;
  }
  const description = td.tags[RELEASE_TAG];
  return {
    live: { ...live, version: parseReleaseDescription(description)?.version ?? null, pinned: td.arn, units: liveSvc.runningCount, capacity },
    needsCapacity: app.capacity === 'ec2',
    alreadyLive: description === releaseDescription(release),
  };
}

/** ec2 capacity: green's cluster gets as many instances as blue's, before green's service moves. */
export async function prepareCapacity(deps: Deps, settings: Settings, plan: RoutedPlan): Promise<CapacityState> {
  const want = plan.live.capacity!;
  const name = plan.idle.autoScalingGroupName!;
  const g = (await describeGroups(deps.clients.autoscaling, [name])).get(name)!;
  const active = await activeInGroup(deps, plan.idle);
  // Pre-warm aware: a warm colour with enough joined instances keeps them.
  const enough = active >= want.desired && g.capacity.desired >= want.desired;
  if (!enough && (g.capacity.min !== want.min || g.capacity.max !== want.max || g.capacity.desired !== want.desired))
    await updateGroup(deps.clients.autoscaling, name, want);
  return { desired: want.desired, active, ready: active >= want.desired, deadline: deadline(deps, settings) };
}

export async function checkCapacity(deps: Deps, settings: Settings, plan: RoutedPlan, capacity: CapacityState): Promise<CapacityState> {
  const active = await activeInGroup(deps, plan.idle);
  const ready = active >= capacity.desired;
  if (!ready && deps.now().getTime() > Date.parse(capacity.deadline))
    throw new CapacityTimeout(
      `green's cluster ${plan.idle.cluster} has ${active}/${capacity.desired} ACTIVE container instances from ${plan.idle.autoScalingGroupName} after ${settings.timeoutSeconds} s`,
    );
  return { ...capacity, active, ready };
}

/** Container instances ACTIVE in the colour's cluster whose instance is InService or still
 * Pending (a joined instance can take tasks while its launch hook is open). */
async function activeInGroup(deps: Deps, side: Side): Promise<number> {
  const [instances, group] = await Promise.all([
    activeContainerInstances(deps.clients.ecs, side.cluster!),
    describeGroups(deps.clients.autoscaling, [side.autoScalingGroupName!]),
  ]);
  const inService = new Set(group.get(side.autoScalingGroupName!)!.instances.filter((i) => countsAsCapacity(i.lifecycleState)).map((i) => i.instanceId));
  return instances.filter((ci) => inService.has(ci.ec2InstanceId)).length;
}

export async function prepareGreenEcs(deps: Deps, release: Release, settings: Settings, plan: RoutedPlan): Promise<PreparedGreen> {
  const { ecs } = deps.clients;
  const description = releaseDescription(release);
  const idle = await service(deps, plan.idle);
  const live = await describeTaskDefinition(ecs, plan.live.pinned);
  // Reuse the revision registered by an earlier attempt: green's current one, or its family's latest.
  let pinned: string | undefined;
  for (const candidate of [idle.taskDefinition, live.definition.family!]) {
    const td = await describeTaskDefinition(ecs, candidate);
    if (td.tags[RELEASE_TAG] === description) {
      pinned = td.arn;
      break;
    }
  }
  if (!pinned) {
    const app = deps.config.apps[release.app] as EcsAppConfig;
    const next = deriveTaskDefinition(live.definition, release.artifact.images ?? {}, release.artifact.environment ?? {}, manifestPolicy(app, release.app));
    pinned = await registerTaskDefinition(ecs, next, { [RELEASE_TAG]: description });
  }
  const desired = plan.live.units;
  if (idle.taskDefinition !== pinned || idle.desiredCount !== desired) await updateService(ecs, plan.idle.cluster!, plan.idle.serviceName!, { taskDefinition: pinned, desiredCount: desired });
  return { pinned, desired, deadline: deadline(deps, settings), ready: false };
}

export async function assessEcs(deps: Deps, app: EcsAppConfig, plan: RoutedPlan, green: Green): Promise<Assessment> {
  const [svc, targets] = await Promise.all([service(deps, plan.idle), targetHealth(deps.clients.elbv2, plan.idle.targetGroupArn)]);
  const a = assessService(svc, targets, green.pinned, green.desired);
  const detail = `${a.running}/${a.desired} tasks running, ${a.healthy}/${a.desired} healthy in its target group, ${svc.deployments.length} deployment(s)${a.failedTasks ? `, ${a.failedTasks} failed task(s)` : ''}`;
  if (a.failedTasks >= app.health.maxFailedTasks) {
    // The reason ECS gives for the newest stopped task (a missing image, an exited container).
    const why = await lastStoppedReason(deps.clients.ecs, plan.idle.cluster!, plan.idle.serviceName!).catch(() => null);
    throw new GreenCrashLooping(`green (${plan.idle.serviceName}) is crash-looping: ${a.failedTasks} tasks stopped before turning healthy (limit ${app.health.maxFailedTasks})${why ? `; last stopped: ${why}` : ''}; ${detail}`);
  }
  const rollout = svc.deployments.find((d) => d.status === 'PRIMARY')?.rolloutState;
  if (rollout === 'FAILED') throw new GreenCrashLooping(`green (${plan.idle.serviceName}): ECS marked the deployment FAILED; ${detail}`);
  return { ready: a.ready, desired: a.desired, inService: a.running, healthy: a.healthy, failedTasks: a.failedTasks, detail };
}

/** The old colour's service down to `units` tasks (never up); at 0 its EC2 capacity goes too. */
export async function retireEcs(deps: Deps, plan: RoutedPlan, units: number) {
  const svc = await service(deps, plan.live);
  const desired = Math.min(svc.desiredCount, units);
  const changed = desired !== svc.desiredCount;
  if (changed) await updateService(deps.clients.ecs, plan.live.cluster!, plan.live.serviceName!, { desiredCount: desired });
  if (units === 0 && plan.live.autoScalingGroupName) await zeroGroup(deps, plan.live.autoScalingGroupName);
  return { desired, changed };
}

/** Quiesce (ecs): the new colour's worker service takes the old one's count; the old one's goes to 0. */
export async function quiesceEcs(deps: Deps, app: EcsAppConfig, plan: RoutedPlan): Promise<string[]> {
  const workers = app.retire.quiesce?.workers;
  if (!workers) return [];
  const oldW = workers[plan.live.colour];
  const newW = workers[plan.idle.colour];
  const [o, n] = [
    (await describeServices(deps.clients.ecs, oldW.cluster, [oldW.serviceName])).get(oldW.serviceName),
    (await describeServices(deps.clients.ecs, newW.cluster, [newW.serviceName])).get(newW.serviceName),
  ];
  if (!o || !n) throw new InvalidInput(`worker service ${!o ? `${oldW.cluster}/${oldW.serviceName}` : `${newW.cluster}/${newW.serviceName}`} not found: fix retire.quiesce.workers`);
  if (n.desiredCount < o.desiredCount) await updateService(deps.clients.ecs, newW.cluster, newW.serviceName, { desiredCount: o.desiredCount });
  if (o.desiredCount !== 0) await updateService(deps.clients.ecs, oldW.cluster, oldW.serviceName, { desiredCount: 0 });
  return [`${oldW.serviceName} → 0`, `${newW.serviceName} → ${Math.max(n.desiredCount, o.desiredCount)}`];
}

export async function zeroGreenEcs(deps: Deps, plan: RoutedPlan): Promise<void> {
  const svc = await service(deps, plan.idle);
  if (svc.desiredCount !== 0) await updateService(deps.clients.ecs, plan.idle.cluster!, plan.idle.serviceName!, { desiredCount: 0 });
  if (plan.idle.autoScalingGroupName) await zeroGroup(deps, plan.idle.autoScalingGroupName);
}

/** What the app's config lets a manifest change (checked in Plan, before any change, and again when green's revision is made). */
function manifestPolicy(app: EcsAppConfig, name: string) {
  return { app: name, repositories: app.images.repositories, requireDigest: app.images.requireDigest, deniedEnvironment: app.deniedEnvironment };
}

// ---- the driver (./driver.ts): what the release's steps call for an ecs app ----

export function plan(deps: Deps, app: EcsAppConfig, release: Release): Promise<RoutedPlan> {
  return planRouted(deps, app, release, planEcs);
}

export function prepareGreen(deps: Deps, app: EcsAppConfig, input: GreenInput<RoutedPlan>): Promise<PreparedGreen> {
  return prepareRouted(deps, app, input, () => prepareGreenEcs(deps, input.release, input.settings, input.plan));
}

export function assess(deps: Deps, app: EcsAppConfig, input: GreenInput<RoutedPlan> & { green: Green }): Promise<Assessment> {
  return assessEcs(deps, app, input.plan, input.green);
}

/**
 * Each task registers as it starts; its start time is on the task (one page of tasks is read:
 * above 100 tasks the latest start of that page is a lower bound, and after it passes green is polled).
 */
export function nextCheck(deps: Deps, _app: EcsAppConfig, input: GreenInput<RoutedPlan> & { green: Green }, a: Assessment): Promise<NextCheck> {
  const { plan, green } = input;
  return nextCheckRouted(deps, input, a, {
    ecs: true,
    registeredAt: async () => {
      try {
        const started = await lastTaskStart(deps.clients.ecs, plan.idle.cluster!, plan.idle.serviceName!, green.pinned, a.desired);
        return { at: started?.at ?? null, lowerBound: started ? !started.complete : false };
      } catch (e) {
        return { at: null, lowerBound: false, unread: `the service's task start times (${(e as Error).name})` };
      }
    },
  });
}

export function switchTraffic(deps: Deps, app: EcsAppConfig, input: SwitchInput<RoutedPlan>): Promise<Shift> {
  return switchRouted(deps, app, input, () => assessEcs(deps, app, input.plan, input.green));
}

export function retire(deps: Deps, app: EcsAppConfig, input: RetireInput<RoutedPlan>): Promise<Retired> {
  return retireRouted(deps, app, input, { scale: (units) => retireEcs(deps, input.plan, units), quiesce: () => quiesceEcs(deps, app, input.plan) });
}

export function rollback(deps: Deps, app: EcsAppConfig, input: RollbackInput<RoutedPlan>): Promise<RolledBack> {
  return rollbackRouted(deps, app, input, () => zeroGreenEcs(deps, input.plan));
}
