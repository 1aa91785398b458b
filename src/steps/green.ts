import { lastLaunchInService } from '../aws/autoscaling.js';
import { lastTaskStart } from '../aws/ecs.js';
import { healthCheckOf, readRoute } from '../aws/elbv2.js';
import { appConfig } from '../core/config.js';
import { GreenHealthTimeout, LiveColourChanged } from '../core/errors.js';
import { type HealthCheckTiming, nextGreenCheck } from '../core/green-timing.js';
import type { Release, Settings } from '../core/release.js';
import { colourWeights } from '../core/route.js';
import { assessAsg, prepareGreenAsg } from './asg.js';
import type { Deps } from './deps.js';
import { assessEcs, checkCapacity as checkCapacityEcs, prepareCapacity as prepareCapacityEcs, prepareGreenEcs } from './ecs.js';
import { assessEip, prepareGreenEip } from './eip.js';
import type { Execution } from './lock.js';
import { ensurePreview } from './preview.js';
import { tell } from './record.js';
import type { Assessment, CapacityState, Green, Plan, PreparedGreen } from './types.js';

// Green: pin the artifact, give green the live colour's size, then report readiness.
// Each call converges: it reads what exists and does only what is missing.

interface Input {
  release: Release;
  settings: Settings;
  plan: Plan;
}

export async function prepareCapacity(deps: Deps, input: Input): Promise<CapacityState> {
  return prepareCapacityEcs(deps, input.settings, input.plan);
}

export async function checkCapacity(deps: Deps, input: Input & { capacity: CapacityState }): Promise<CapacityState> {
  return checkCapacityEcs(deps, input.settings, input.plan, input.capacity);
}

export async function prepareGreen(deps: Deps, input: Input): Promise<Green> {
  const prepared = await prepareKind(deps, input);
  // The first look after the configured poll: CheckGreen then says when green can be healthy.
  const first = prepared.ready ? 0 : input.settings.pollSeconds * 1000;
  return { ...prepared, nextCheckAt: new Date(deps.now().getTime() + first).toISOString() };
}

async function prepareKind(deps: Deps, input: Input): Promise<PreparedGreen> {
  const app = appConfig(deps.config, input.release.app);
  if (app.kind === 'eip') return prepareGreenEip(deps, app, input.release, input.settings, input.plan);
  // Never deploy onto a colour that takes traffic (a plan made from a stale read of the route);
  // a rollback from a split route goes back to a colour that still takes part of it.
  const w = colourWeights(await readRoute(deps.clients.elbv2, input.plan.route!), app);
  if (w[input.plan.idle.colour] > 0 && input.release.action !== 'rollback')
    throw new LiveColourChanged(`${input.plan.idle.colour} takes ${w[input.plan.idle.colour]}% of the traffic: not deploying onto it (the plan was made from another view of the route)`);
  return app.kind === 'asg' ? prepareGreenAsg(deps, app, input.release, input.settings, input.plan) : prepareGreenEcs(deps, input.release, input.settings, input.plan);
}

export function assess(deps: Deps, release: Release, plan: Plan, green: Green): Promise<Assessment> {
  const app = appConfig(deps.config, release.app);
  if (app.kind === 'eip') return assessEip(deps, app, release, plan, green);
  return app.kind === 'asg' ? assessAsg(deps, plan, green) : assessEcs(deps, app, plan, green);
}

export async function checkGreen(deps: Deps, input: Input & { green: Green; execution?: Execution }): Promise<Green> {
  const { plan, green, settings, release } = input;
  const a = await assess(deps, release, plan, green);
  if (!a.ready && deps.now().getTime() > Date.parse(green.deadline))
    throw new GreenHealthTimeout(`green (${plan.idle.serviceName ?? plan.idle.autoScalingGroupName ?? a.instanceId ?? 'new server'}) not healthy after ${settings.timeoutSeconds} s: ${a.detail}`);
  if (a.ready && input.execution) await tell(deps, { event: 'green-healthy', release, execution: input.execution, extra: { healthy: a.healthy, desired: a.desired } });
  // Preview URL of the new version, as soon as it is healthy (before checks, approval, traffic).
  const app = appConfig(deps.config, release.app);
  const moves = (release.action ?? 'release') === 'release' || release.action === 'rollback';
  if (a.ready && app.kind !== 'eip' && moves) await ensurePreview(deps, app, release.app, release.version, plan.idle.targetGroupArn);
  const next = a.ready ? { at: deps.now().getTime(), why: 'ready' } : await nextCheck(deps, input, a);
  return {
    ...green,
    ready: a.ready,
    inService: a.inService,
    healthy: a.healthy,
    failedTasks: a.failedTasks,
    ...(a.instanceId !== undefined ? { instanceId: a.instanceId } : {}),
    nextCheckAt: new Date(next.at).toISOString(),
    nextCheckWhy: next.why,
    ...(next.healthCheck !== undefined ? { healthCheck: next.healthCheck } : {}),
  };
}

/**
 * When to look again: at the first instant green's target group can report it healthy (asg, ecs),
 * else after the configured poll. Reading the timing is best effort: an error here costs only
 * the prediction (the next check polls), never the release.
 */
async function nextCheck(deps: Deps, input: Input & { green: Green }, a: Assessment): Promise<{ at: number; why: string; healthCheck?: HealthCheckTiming | null }> {
  const { plan, green, settings, release } = input;
  const app = appConfig(deps.config, release.app);
  const now = deps.now().getTime();
  const view = { now, pollSeconds: settings.pollSeconds, deadline: Date.parse(green.deadline), desired: a.desired, inService: a.inService ?? 0, ...(app.kind === 'ecs' ? { healthy: a.healthy } : {}), healthCheck: null as HealthCheckTiming | null, lastRegisteredAt: null as number | null };
  if (app.kind === 'eip') return nextGreenCheck(view);
  // A failed read costs only the prediction; the reason is kept in nextCheckWhy (the execution's history).
  const unread: string[] = [];
  const healthCheck =
    green.healthCheck !== undefined
      ? green.healthCheck
      : await healthCheckOf(deps.clients.elbv2, plan.idle.targetGroupArn).catch((e: Error) => {
          unread.push(`the target group's health check (${e.name})`);
          return null;
        });
  let lastRegisteredAt: number | null = null;
  // asg: each instance registers as it enters service, which its launch activity records.
  if (app.kind === 'asg' && healthCheck && view.inService >= a.desired) {
    const since = Date.parse(green.deadline) - settings.timeoutSeconds * 1000 - 300_000;
    lastRegisteredAt = await lastLaunchInService(deps.clients.autoscaling, plan.idle.autoScalingGroupName!, since).catch((e: Error) => {
      unread.push(`the group's launch activities (${e.name})`);
      return null;
    });
  }
  // ecs: each task registers as it starts; its start time is on the task (one page of tasks is
  // read: above 100 tasks the latest start of that page is a lower bound, and after it passes
  // green is polled).
  let lowerBound = false;
  if (app.kind === 'ecs' && healthCheck && view.inService >= a.desired) {
    const started = await lastTaskStart(deps.clients.ecs, plan.idle.cluster!, plan.idle.serviceName!, green.pinned, a.desired).catch((e: Error) => {
      unread.push(`the service's task start times (${e.name})`);
      return null;
    });
    lastRegisteredAt = started?.at ?? null;
    lowerBound = started ? !started.complete : false;
  }
  const next = nextGreenCheck({ ...view, healthCheck, lastRegisteredAt, lastRegisteredIsLowerBound: lowerBound });
  return { ...next, why: unread.length ? `${next.why}; could not read ${unread.join(', ')}` : next.why, healthCheck };
}
