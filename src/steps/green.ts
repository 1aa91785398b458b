import { appConfig } from '../core/config.js';
import { GreenHealthTimeout } from '../core/errors.js';
import type { Release, Settings } from '../core/release.js';
import type { Deps } from './deps.js';
import * as asg from './kinds/asg.js';
import { type ByKind, forKind } from './kinds/driver.js';
import * as ecs from './kinds/ecs.js';
import { checkCapacity as checkCapacityEcs, prepareCapacity as prepareCapacityEcs } from './kinds/ecs.js';
import * as eip from './kinds/eip.js';
import type { Execution } from './lock.js';
import { ensurePreview } from './preview.js';
import { tell } from './record.js';
import { isRoutedPlan, routedPlan } from './sides.js';
import type { Assessment, CapacityState, Green, Plan } from './types.js';
import { isRouted } from '../core/kinds.js';

// Green: pin the artifact, give green the live colour's size, then report readiness.
// Each call converges: it reads what exists and does only what is missing. What differs by kind
// is each kind's driver (src/steps/kinds/), chosen from these tables.

const PREPARE: ByKind<'prepareGreen'> = { asg: asg.prepareGreen, ecs: ecs.prepareGreen, eip: eip.prepareGreen };
const ASSESS: ByKind<'assess'> = { asg: asg.assess, ecs: ecs.assess, eip: eip.assess };
const NEXT_CHECK: ByKind<'nextCheck'> = { asg: asg.nextCheck, ecs: ecs.nextCheck, eip: eip.nextCheck };

interface Input {
  release: Release;
  settings: Settings;
  plan: Plan;
}

export async function prepareCapacity(deps: Deps, input: Input): Promise<CapacityState> {
  return prepareCapacityEcs(deps, input.settings, routedPlan(input.plan, 'PrepareCapacity'));
}

export async function checkCapacity(deps: Deps, input: Input & { capacity: CapacityState }): Promise<CapacityState> {
  return checkCapacityEcs(deps, input.settings, routedPlan(input.plan, 'CheckCapacity'), input.capacity);
}

export async function prepareGreen(deps: Deps, input: Input): Promise<Green> {
  const app = appConfig(deps.config, input.release.app);
  const prepared = await forKind(PREPARE, app)(deps, app, input);
  // The first look after the configured poll: CheckGreen then says when green can be healthy.
  const first = prepared.ready ? 0 : input.settings.pollSeconds * 1000;
  return { ...prepared, nextCheckAt: new Date(deps.now().getTime() + first).toISOString() };
}

/** Is green fully healthy on the pinned artifact (by the app's kind)? */
export function assess(deps: Deps, input: Input & { green: Green }): Promise<Assessment> {
  const app = appConfig(deps.config, input.release.app);
  return forKind(ASSESS, app)(deps, app, input);
}

export async function checkGreen(deps: Deps, input: Input & { green: Green; execution?: Execution }): Promise<Green> {
  const { plan, green, settings, release } = input;
  const app = appConfig(deps.config, release.app);
  const a = await assess(deps, input);
  if (!a.ready && deps.now().getTime() > Date.parse(green.deadline))
    throw new GreenHealthTimeout(`green (${(isRoutedPlan(plan) && (plan.idle.serviceName ?? plan.idle.autoScalingGroupName)) || a.instanceId || 'new server'}) not healthy after ${settings.timeoutSeconds} s: ${a.detail}`);
  if (a.ready && input.execution) await tell(deps, { event: 'green-healthy', release, execution: input.execution, extra: { healthy: a.healthy, desired: a.desired } });
  // Preview URL of the new version, as soon as it is healthy (before checks, approval, traffic).
  const moves = (release.action ?? 'release') === 'release' || release.action === 'rollback';
  if (a.ready && isRouted(app) && isRoutedPlan(plan) && moves) await ensurePreview(deps, app, release.app, release.version, plan.idle.targetGroupArn);
  const next = a.ready ? { at: deps.now().getTime(), why: 'ready' } : await forKind(NEXT_CHECK, app)(deps, app, input, a);
  return {
    ...green,
    ready: a.ready,
    inService: a.inService,
    healthy: a.healthy,
    failedTasks: a.failedTasks,
    ...(a.instanceId !== undefined ? { instanceId: a.instanceId } : {}),
    nextCheckAt: new Date(next.at).toISOString(),
    nextCheckWhy: next.why,
    ...('healthCheck' in next && next.healthCheck !== undefined ? { healthCheck: next.healthCheck } : {}),
  };
}
