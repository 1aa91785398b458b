import { appConfig } from '../core/config.js';
import { GreenHealthTimeout, LiveColourChanged } from '../core/errors.js';
import { readRoute } from '../aws/elbv2.js';
import { colourWeights } from '../core/route.js';
import type { Release, Settings } from '../core/release.js';
import { assessAsg, prepareGreenAsg } from './asg.js';
import type { Deps } from './deps.js';
import { assessEip, prepareGreenEip } from './eip.js';
import { assessEcs, checkCapacity as checkCapacityEcs, prepareCapacity as prepareCapacityEcs, prepareGreenEcs } from './ecs.js';
import type { Execution } from './lock.js';
import { ensurePreview } from './preview.js';
import { tell } from './record.js';
import type { Assessment, CapacityState, Green, Plan } from './types.js';

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
  return { ...green, ready: a.ready, inService: a.inService, healthy: a.healthy, failedTasks: a.failedTasks, ...(a.instanceId !== undefined ? { instanceId: a.instanceId } : {}) };
}
