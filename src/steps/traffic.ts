import { appConfig } from '../core/config.js';
import { GreenNotHealthy } from '../core/errors.js';
import { nextBakeLook } from '../core/green-timing.js';
import type { Release, Settings } from '../core/release.js';
import { describeFailure } from '../core/text.js';
import type { Deps } from './deps.js';
import { assess } from './green.js';
import * as asg from './kinds/asg.js';
import { type ByKind, forKind, type Retired, type RetireInput, type RolledBack, type SwitchInput } from './kinds/driver.js';
import * as ecs from './kinds/ecs.js';
import * as eip from './kinds/eip.js';
import type { Execution } from './lock.js';
import type { Green, Plan } from './types.js';

// Moving traffic, retiring the old colour, and rolling back. Every write is read back. What
// differs by kind is each kind's driver (src/steps/kinds/), chosen from these tables.

const SWITCH: ByKind<'switchTraffic'> = { asg: asg.switchTraffic, ecs: ecs.switchTraffic, eip: eip.switchTraffic };
const RETIRE: ByKind<'retire'> = { asg: asg.retire, ecs: ecs.retire, eip: eip.retire };
const ROLLBACK: ByKind<'rollback'> = { asg: asg.rollback, ecs: ecs.rollback, eip: eip.rollback };

interface Input {
  release: Release;
  plan: Plan;
  green: Green;
}

export interface Shift {
  /** Index of the next step to apply. */
  step: number;
  percent?: number;
  bakeSeconds?: number;
  done?: boolean;
  at?: string;
  /** While the step bakes: when green is looked at next, and whether that look ends the bake. */
  nextAt?: string;
  last?: boolean;
  /** How often the bake looks at green (src/core/green-timing.ts, bakeWatchSeconds). */
  watchSeconds?: number;
  /** judge: how the step that baked before this one was judged (verdict, score, each metric's p-value and shift). */
  judgement?: string;
}

/**
 * Apply the next traffic step: routed kinds write the route's weights (all at once, canary,
 * linear or custom) with a health guard and a read-back; eip moves the address.
 */
export async function switchTraffic(deps: Deps, input: SwitchInput): Promise<Shift> {
  const app = appConfig(deps.config, input.release.app);
  return forKind(SWITCH, app)(deps, app, input);
}

/**
 * While a traffic step bakes, green is watched: its targets must stay healthy (a share of
 * production traffic reaches them). Looks once per watch window (the load balancer's own
 * unhealthy window, bakeWatchSeconds) and answers when to look next; a green that stopped being
 * healthy fails the step, and the release rolls back at once instead of after the bake.
 */
export async function bakeCheck(deps: Deps, input: Input & { shift: Shift; settings: Settings }): Promise<Shift & { healthy: number; desired: number }> {
  const { shift, settings } = input;
  const a = await assess(deps, input);
  if (!a.ready) throw new GreenNotHealthy(`green stopped being healthy while ${shift.percent ?? '?'}% of traffic baked on it (${a.detail}): rolling back`);
  const startsAt = Date.parse(shift.at ?? deps.now().toISOString());
  const watchSeconds = shift.watchSeconds ?? settings.pollSeconds;
  return { ...shift, ...nextBakeLook(deps.now().getTime(), startsAt, startsAt + (shift.bakeSeconds ?? 0) * 1000, watchSeconds), healthy: a.healthy, desired: a.desired };
}

/**
 * Retire the old colour, one step of its schedule per call (`step`; the first also quiesces it),
 * or at once (`phase: "zero"`, the hand-typed retire). Answers when the next step is due.
 */
export async function retireOld(deps: Deps, input: RetireInput): Promise<Retired> {
  const app = appConfig(deps.config, input.release.app);
  return forKind(RETIRE, app)(deps, app, input);
}

/** Traffic back on the old colour (if it moved), green to zero (unless kept for inspection). */
export async function rollback(deps: Deps, input: { release: Release; plan: Plan; error?: { Error?: string; Cause?: string }; execution?: Execution }): Promise<RolledBack> {
  const app = appConfig(deps.config, input.release.app);
  return forKind(ROLLBACK, app)(deps, app, { release: input.release, plan: input.plan, execution: input.execution, reason: describeFailure(input.error) });
}
