import { alarmStates } from '../aws/cloudwatch.js';
import { readLock } from '../aws/dynamodb.js';
import { healthCheckOf, readRoute, writeRoute } from '../aws/elbv2.js';
import { type AppConfig, appConfig } from '../core/config.js';
import { AwsAccessDenied, GreenNotHealthy, LiveColourChanged, TrafficNotShifted } from '../core/errors.js';
import { bakeWatchSeconds, type HealthCheckTiming, nextBakeLook } from '../core/green-timing.js';
import type { Release, Settings } from '../core/release.js';
import { retireSchedule } from '../core/retire.js';
import { colourWeights, liveColour, type RouteAction, routeSends, shiftedActions, shiftSteps } from '../core/route.js';
import { describeFailure } from '../core/text.js';
import { quiesceAsg, retireAsg, zeroGroup } from './asg.js';
import type { Deps } from './deps.js';
import { quiesceEcs, retireEcs, zeroGreenEcs } from './ecs.js';
import { retireEip, rollbackEip, switchEip } from './eip.js';
import { assess } from './green.js';
import { stopIfAlarming } from './guard.js';
import { type Execution, fencedRouteWrite } from './lock.js';
import { ensurePreview, removePreview } from './preview.js';
import { tell } from './record.js';
import type { Green, Plan } from './types.js';

// Moving traffic, retiring the old colour, and rolling back. Every write is read back.

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
}

/**
 * Apply the next traffic step (all at once, canary, linear or custom): a health guard, the
 * weighted forward action, and a read-back; the step does not count until the read-back shows it.
 */
export async function switchTraffic(deps: Deps, input: Input & { shift?: Shift; settings?: Settings; execution?: Execution }): Promise<Shift> {
  const { plan, green, release } = input;
  const app = appConfig(deps.config, release.app);
  const at = deps.now().toISOString();
  if (app.kind === 'eip') {
    await switchEip(deps, app, release, plan, green);
    if (input.execution) await tell(deps, { event: 'traffic-shifted', release, execution: input.execution, extra: { percent: 100 } });
    return { step: 1, percent: 100, bakeSeconds: 0, done: true, at };
  }
  // A rollback moves everything at once: the colour it returns to was live a moment ago.
  const steps = release.action === 'rollback' ? shiftSteps({ strategy: 'all-at-once' }) : shiftSteps(app.traffic);
  const index = Math.min(input.shift?.step ?? 0, steps.length - 1);
  const { percent, bakeSeconds } = steps[index];
  const { elbv2 } = deps.clients;
  const to = plan.idle.targetGroupArn;
  const from = plan.live.targetGroupArn;
  const actions = await readRoute(elbv2, plan.route!);
  if (!routeSends(actions, to, from, percent)) await shift(deps, input, app, actions, index, percent);
  // The bake runs from the moment the route (read back) sends this step's share.
  const result = { step: index + 1, percent, bakeSeconds, done: percent === 100, at: deps.now().toISOString() };
  // Preview URL of the old version, once all traffic left it (the new one's: checkGreen).
  if (result.done) {
    await ensurePreview(deps, app, release.app, plan.live.version, from);
    return result;
  }
  // The step bakes from here: green is looked at once per watch window until the bake ends.
  const watchSeconds = bakeWatchSeconds(await healthCheckFor(deps, plan, green), input.settings?.pollSeconds ?? app.health.pollSeconds);
  return { ...result, watchSeconds, ...nextBakeLook(deps.now().getTime(), Date.parse(result.at), Date.parse(result.at) + bakeSeconds * 1000, watchSeconds) };
}

/** Green's health check timing: read once by CheckGreen, else now (best effort: unread, the bake is watched every poll). */
async function healthCheckFor(deps: Deps, plan: Plan, green: Green): Promise<HealthCheckTiming | null> {
  if (green.healthCheck !== undefined) return green.healthCheck;
  return healthCheckOf(deps.clients.elbv2, plan.idle.targetGroupArn).catch(() => null);
}

/**
 * While a traffic step bakes, green is watched: its targets must stay healthy (a share of
 * production traffic reaches them). Looks once per watch window (the load balancer's own
 * unhealthy window, bakeWatchSeconds) and answers when to look next; a green that stopped being
 * healthy fails the step, and the release rolls back at once instead of after the bake.
 */
export async function bakeCheck(deps: Deps, input: Input & { shift: Shift; settings: Settings }): Promise<Shift & { healthy: number; desired: number }> {
  const { release, plan, green, shift, settings } = input;
  const a = await assess(deps, release, plan, green);
  if (!a.ready) throw new GreenNotHealthy(`green stopped being healthy while ${shift.percent ?? '?'}% of traffic baked on it (${a.detail}): rolling back`);
  const startsAt = Date.parse(shift.at ?? deps.now().toISOString());
  const watchSeconds = shift.watchSeconds ?? settings.pollSeconds;
  return { ...shift, ...nextBakeLook(deps.now().getTime(), startsAt, startsAt + (shift.bakeSeconds ?? 0) * 1000, watchSeconds), healthy: a.healthy, desired: a.desired };
}

/** One traffic step: checks that the route is as expected and green may take traffic, write, read back. */
async function shift(deps: Deps, input: Input & { execution?: Execution }, app: Exclude<AppConfig, { kind: 'eip' }>, actions: RouteAction[], index: number, percent: number) {
  const { plan, green, release } = input;
  const { elbv2 } = deps.clients;
  const to = plan.idle.targetGroupArn;
  const from = plan.live.targetGroupArn;
  const w = colourWeights(actions, app);
  // Before the first step the route must still be all on the old colour; later, a partial shift.
  if (index === 0 && liveColour(w) !== plan.live.colour && !(release.action === 'rollback' && liveColour(w) === 'split'))
    throw new LiveColourChanged(`the route no longer sends all traffic to ${plan.live.colour}: somebody else changed it; not switching`);
  if (w[plan.live.colour] + w[plan.idle.colour] === 0) throw new LiveColourChanged('the route sends no traffic to either colour: not switching');

  // Guards: production traffic only ever moves to a colour whose targets are all healthy now,
  // and never while a guard alarm fires (a rollback moves traffic back regardless).
  const a = await assess(deps, release, plan, green);
  if (!a.ready) throw new GreenNotHealthy(`green is no longer fully healthy (${a.detail}): not switching`);

  await fencedRouteWrite(deps, release.app, input.execution?.id, { rollingBack: release.action === 'rollback', colour: plan.idle.colour }, async () => {
    // The alarms are read last, right before the write (the lock's marker may have taken a
    // while under throttling): an alarm that fired meanwhile stops the step here.
    if (release.action !== 'rollback') await stopIfAlarming(deps, app);
    await writeRoute(elbv2, plan.route!, shiftedActions(actions, to, from, percent));
    if (!routeSends(await readRoute(elbv2, plan.route!), to, from, percent))
      throw new TrafficNotShifted(`the route was modified but the read-back does not send ${percent}% to ${plan.idle.colour} yet`);
  });
  if (input.execution) await tell(deps, { event: 'traffic-shifted', release, execution: input.execution, extra: { percent } });
}

/** The old colour's retirement schedule (keep-warm, or the configured steps). */
export function scheduleFor(app: Exclude<AppConfig, { kind: 'eip' }>, plan: Plan) {
  return retireSchedule(app.retire, app.kind === 'asg' ? app.retire.keepWarmInstances : app.retire.keepWarmTasks, plan.live.units);
}

/**
 * Retire the old colour, one step of its schedule per call (`step`; the first also quiesces it),
 * or at once (`phase: "zero"`, the hand-typed retire). Answers when the next step is due.
 */
export async function retireOld(deps: Deps, input: { release: Release; plan: Plan; phase?: 'zero'; step?: number; heldSince?: string | null; settings?: Settings; execution?: Execution }) {
  const { plan, release } = input;
  const app = appConfig(deps.config, release.app);
  const k = input.phase === 'zero' ? -1 : (input.step ?? 0);
  if (app.kind === 'eip') {
    // Two steps: stop the old server (the rollback target), terminate it after the window.
    const phase = k === 0 ? 'warm' : 'zero';
    const r = await retireEip(deps, app, release, plan, phase);
    return { colour: plan.live.colour, phase, ...r, heldSince: null, step: k + 1, done: phase === 'zero', waitSeconds: input.settings?.keepWarmSeconds ?? 0 };
  }
  // Never scale down a colour that takes traffic (e.g. after a manual flip back).
  if (!routeSends(await readRoute(deps.clients.elbv2, plan.route!), plan.idle.targetGroupArn, plan.live.targetGroupArn))
    throw new LiveColourChanged(`${plan.idle.colour} no longer takes all traffic: not retiring ${plan.live.colour}`);
  const schedule = scheduleFor(app, plan);
  // By metric: while a hold alarm fires (e.g. the new colour's latency), the old colour keeps
  // what it has; the step is tried again a minute later. An unreadable alarm holds too.
  if (k > 0 && app.retire.holdWhileAlarm.length) {
    const held = (await alarmStates(deps.clients.cloudwatch, app.retire.holdWhileAlarm)).filter((a) => a.state === 'ALARM' || a.state === 'MISSING');
    if (held.length) {
      // At most retire.maxHoldMinutes (a Step Functions execution has a history limit): then the
      // old colour stays as it is and the release ends; retire it by hand once the alarm clears.
      const since = input.heldSince ?? deps.now().toISOString();
      const heldFor = (deps.now().getTime() - Date.parse(since)) / 1000;
      if (heldFor >= app.retire.maxHoldMinutes * 60)
        return { colour: plan.live.colour, step: k, done: true, waitSeconds: 0, heldSince: since, held: held.map((a) => a.name), note: `retirement held for ${app.retire.maxHoldMinutes} minutes by ${held.map((a) => a.name).join(', ')}: ${plan.live.colour} kept as it is; retire it with {"app":"${release.app}","action":"retire"}` };
      return { colour: plan.live.colour, step: k, done: false, waitSeconds: 60, heldSince: since, held: held.map((a) => a.name) };
    }
  }
  const units = k < 0 ? 0 : schedule[Math.min(k, schedule.length - 1)].units;
  const quiesced = k === 0 ? await quiesce(deps, app, release, plan, input.execution) : [];
  const r = app.kind === 'asg' ? await retireAsg(deps, plan, units) : await retireEcs(deps, plan, units);
  const done = k < 0 || k >= schedule.length - 1;
  // Its capacity is gone: so is its preview URL.
  if (units === 0) await removePreview(deps, app, plan.live.version);
  return {
    colour: plan.live.colour,
    ...r,
    heldSince: null,
    step: k + 1,
    done,
    waitSeconds: done ? 0 : schedule[k + 1].afterSeconds - schedule[k].afterSeconds,
    ...(quiesced.length ? { quiesced } : {}),
  };
}

/** The old colour stops consuming queues: processes suspended, workers handed over, an event. */
async function quiesce(deps: Deps, app: Exclude<AppConfig, { kind: 'eip' }>, release: Release, plan: Plan, execution?: Execution): Promise<string[]> {
  const q = app.retire.quiesce;
  if (!q) return [];
  const done = [...(app.kind === 'asg' ? await quiesceAsg(deps, app, plan) : await quiesceEcs(deps, app, plan))];
  if (q.event && execution) {
    await tell(deps, { event: 'quiesced', release, execution, extra: { before: { colour: plan.live.colour, version: plan.live.version } } });
    done.push('event');
  }
  return done;
}

/** Traffic back on the old colour (if it moved), green to zero (unless kept for inspection). */
export async function rollback(deps: Deps, input: { release: Release; plan: Plan; error?: { Error?: string; Cause?: string }; execution?: Execution }) {
  const { plan, release } = input;
  const app = appConfig(deps.config, release.app);
  const { elbv2 } = deps.clients;
  const reason = describeFailure(input.error);
  if (app.kind === 'eip') return { reason, liveColour: plan.live.colour, ...(await rollbackEip(deps, app, release, plan)) };
  const back = plan.live.targetGroupArn;
  const away = plan.idle.targetGroupArn;
  const actions = await readRoute(elbv2, plan.route!);
  const trafficRestored = !routeSends(actions, back, away);
  // A route read can be stale (a switch's write that landed a moment ago not in it yet): one that
  // wrongly showed the route back already would have the rollback skip the write, then scale down
  // the colour that serves. So once this execution has written the route (the lock says so), the
  // rollback writes it back whatever the read says: the write names its target absolutely (100%
  // to the old colour), the same bytes when the route is back already.
  const wrote = !trafficRestored && !!input.execution && (await readLock(deps.clients.dynamodb, deps.env.table, release.app)).routeWritten === true;
  if (trafficRestored || wrote) {
    try {
      await fencedRouteWrite(deps, release.app, input.execution?.id, { rollingBack: true, colour: plan.idle.colour }, async () => {
        await writeRoute(elbv2, plan.route!, shiftedActions(actions, back, away, 100));
        if (!routeSends(await readRoute(elbv2, plan.route!), back, away))
          throw new TrafficNotShifted(`rollback: the read-back does not send 100% to ${plan.live.colour} yet`);
      });
    } catch (err) {
      // Denied the write that only confirms what the read shows (e.g. the switch itself was
      // denied its first write): the read is what there is to go on.
      if (trafficRestored || !(err instanceof AwsAccessDenied)) throw err;
    }
  }
  let greenScaledToZero = false;
  if (!app.onFailure.keepGreenForInspection) {
    await removePreview(deps, app, release.version);
    if (app.kind === 'asg') await zeroGroup(deps, plan.idle.autoScalingGroupName!);
    else await zeroGreenEcs(deps, plan);
    greenScaledToZero = true;
  }
  return { reason, liveColour: plan.live.colour, trafficRestored, greenScaledToZero };
}

