import { alarmStates } from '../../aws/cloudwatch.js';
import { readLock } from '../../aws/dynamodb.js';
import { healthCheckOf, listenerRules, type RouteRef, readRoute, writeRoute } from '../../aws/elbv2.js';
import { headObject } from '../../aws/s3.js';
import type { Colour, RoutedAppConfig } from '../../core/config.js';
import { AwsAccessDenied, AwsResourceNotFound, GreenNotHealthy, InvalidInput, LiveColourChanged, TrafficNotShifted } from '../../core/errors.js';
import { bakeWatchSeconds, type HealthCheckTiming, nextBakeLook, nextGreenCheck } from '../../core/green-timing.js';
import { parseReleaseDescription, type Release, releaseDescription } from '../../core/release.js';
import { retireSchedule } from '../../core/retire.js';
import { colourWeights, liveColour, other, type RouteAction, routeSends, shadowingRule, shiftedActions, shiftSteps } from '../../core/route.js';
import type { Deps } from '../deps.js';
import { rejectIfAlarming, stopIfAlarming } from '../guard.js';
import { judgeBake } from '../judge.js';
import { fencedRouteWrite } from '../lock.js';
import { pinnedRelease } from '../pinned.js';
import { ensurePreview, removePreview } from '../preview.js';
import { tell } from '../record.js';
import { routeOf, side } from '../sides.js';
import type { Shift } from '../traffic.js';
import type { Assessment, Green, PreparedGreen, RoutedPlan, Side } from '../types.js';
import type { GreenInput, NextCheck, Retired, RetireInput, RollbackInput, RolledBack, SwitchInput } from './driver.js';

// What the two kinds behind an Application Load Balancer (asg, ecs) share: the route is read
// and written here, with a health guard and a read-back on every write; each kind supplies
// only what its colours are made of (groups or services).

/** What a routed kind's plan adds from its own colours: the live side's version, pin and size. */
export type PlanSides<A extends RoutedAppConfig> = (deps: Deps, app: A, release: Release, live: Side, idle: Side) => Promise<Pick<RoutedPlan, 'live' | 'alreadyLive' | 'needsCapacity'>>;

/** A rule-routed app whose rule no request reaches (a rule before it takes them all) is not released to. */
export async function rejectIfShadowed(deps: Deps, app: RoutedAppConfig): Promise<void> {
  if (!app.ruleArn) return;
  const shadow = shadowingRule(await listenerRules(deps.clients.elbv2, app.listenerArn), app.ruleArn);
  if (shadow)
    throw new InvalidInput(
      `no request reaches ${app.ruleArn}: rule ${shadow.arn} (priority ${shadow.priority}, hosts ${shadow.hosts.join(', ') || 'any'}${shadow.paths.length ? `, paths ${shadow.paths.join(', ')}` : ''}) comes first and matches everything it would; give the app's rule a lower priority number or narrow that rule`,
    );
}

/** Plan a routed release: which colour is live is read from the route, the only source of that truth. */
export async function planRouted<A extends RoutedAppConfig>(deps: Deps, app: A, release: Release, planSides: PlanSides<A>): Promise<RoutedPlan> {
  const action = release.action ?? 'release';
  const route = routeOf(app);
  if (action === 'release') await rejectIfAlarming(deps, app, release.app);
  await rejectIfShadowed(deps, app);
  const weights = colourWeights(await readRoute(deps.clients.elbv2, route), app);
  const live = liveColour(weights);
  if (action === 'prewarm' && (live === 'blue' || live === 'green'))
    return { kind: app.kind, route, live: { ...side(app, live), version: null, pinned: '', units: 0, capacity: null }, idle: side(app, other(live)), needsCapacity: false, alreadyLive: false };
  if (action === 'retire' && (live === 'blue' || live === 'green')) {
    // Retire: the colour without traffic is the one that goes (`live` in the retire step's terms).
    // A retire that names its colour refuses when that colour takes traffic now.
    if (release.colour && release.colour === live)
      throw new LiveColourChanged(`${release.colour} takes all of ${release.app}'s traffic now: not retiring it (the route changed since the retire was asked for)`);
    const gone = side(app, other(live));
    return { kind: app.kind, route, live: { ...gone, version: null, pinned: '', units: 0, capacity: null }, idle: side(app, live), needsCapacity: false, alreadyLive: false };
  }
  // A retire never proceeds on a route that is split or on nothing; a read may be stale, so
  // this is a moved route (looked at again by the state's Retry), not bad input.
  if (action === 'retire') throw new LiveColourChanged(`the route of ${release.app} is ${live === 'split' ? `split between blue (${weights.blue}) and green (${weights.green})` : 'on no colour'}: not retiring either colour`);
  if (live === 'split' && action === 'rollback') {
    // A rollback from a stopped shift: back to the colour pinned to the rollback's version.
    const target = await colourPinnedTo(deps, app, release);
    return finishPlan(deps, app, release, route, other(target), planSides);
  }
  if (live === 'split')
    throw new InvalidInput(`traffic is split between blue (${weights.blue}) and green (${weights.green}); finish or roll back that shift before releasing (greenlight rollback ${release.app})`);
  if (live === 'none') throw new InvalidInput('the route sends no traffic to either colour: point it at the blue target group first');
  return finishPlan(deps, app, release, route, live, planSides);
}

async function finishPlan<A extends RoutedAppConfig>(deps: Deps, app: A, release: Release, route: RouteRef, live: Colour, planSides: PlanSides<A>): Promise<RoutedPlan> {
  const liveSide = side(app, live);
  const idle = side(app, other(live));
  const kind = await planSides(deps, app, release, liveSide, idle);
  // "force": a blue/green even of what is live (e.g. to replace every instance).
  if (release.force) return { kind: app.kind, route, idle, ...kind, alreadyLive: false };
  if (!kind.alreadyLive && (release.action ?? 'release') === 'release' && (await sameContentLive(deps, app, release, live)))
    return { kind: app.kind, route, idle, ...kind, alreadyLive: true, sameContent: true };
  return { kind: app.kind, route, idle, ...kind };
}

/**
 * A re-upload of the artifact that is live: the same app, version and key, another S3 object
 * version with the same SHA-256. Nothing to do (unless the hand-typed input says "force": true).
 */
async function sameContentLive(deps: Deps, app: RoutedAppConfig, release: Release, live: Colour): Promise<boolean> {
  const sha = release.artifact.sha256;
  if (!sha || !release.artifact.key) return false;
  const pinned = parseReleaseDescription(await pinnedRelease(deps, app, live));
  if (!pinned || pinned.app !== release.app || pinned.version !== release.version || pinned.versionId === release.artifact.versionId) return false;
  try {
    return (await headObject(deps.clients.s3, release.artifact.bucket, release.artifact.key, pinned.versionId)).sha256 === sha;
  } catch (err) {
    if (err instanceof AwsResourceNotFound) return false;
    throw err;
  }
}

/** The colour whose launch template version or task definition carries this release. */
async function colourPinnedTo(deps: Deps, app: RoutedAppConfig, release: Release): Promise<Colour> {
  const want = releaseDescription(release);
  for (const colour of ['blue', 'green'] as Colour[]) if ((await pinnedRelease(deps, app, colour)) === want) return colour;
  throw new InvalidInput(`neither colour of ${release.app} runs ${release.version}: cannot roll back a split route to it`);
}

/**
 * Never deploy onto a colour that takes traffic (a plan made from a stale read of the route);
 * a rollback from a split route goes back to a colour that still takes part of it.
 */
export async function prepareRouted<A extends RoutedAppConfig>(deps: Deps, app: A, input: GreenInput<RoutedPlan>, prepare: () => Promise<PreparedGreen>): Promise<PreparedGreen> {
  const w = colourWeights(await readRoute(deps.clients.elbv2, input.plan.route), app);
  if (w[input.plan.idle.colour] > 0 && input.release.action !== 'rollback')
    throw new LiveColourChanged(`${input.plan.idle.colour} takes ${w[input.plan.idle.colour]}% of the traffic: not deploying onto it (the plan was made from another view of the route)`);
  return prepare();
}

/** When green's targets last registered (the health prediction counts from there), or null. */
export type RegisteredAt = (healthCheck: HealthCheckTiming) => Promise<{ at: number | null; lowerBound: boolean; unread?: string }>;

/**
 * When to look again: at the first instant green's target group can report it healthy, else
 * after the configured poll. Reading the timing is best effort: an error here costs only the
 * prediction (the next check polls), never the release; the reason is kept in nextCheckWhy.
 */
export async function nextCheckRouted(deps: Deps, input: GreenInput<RoutedPlan> & { green: Green }, a: Assessment, opts: { ecs: boolean; registeredAt: RegisteredAt }): Promise<NextCheck> {
  const { plan, green, settings } = input;
  const view = { now: deps.now().getTime(), pollSeconds: settings.pollSeconds, deadline: Date.parse(green.deadline), desired: a.desired, inService: a.inService ?? 0, ...(opts.ecs ? { healthy: a.healthy } : {}) };
  const unread: string[] = [];
  const healthCheck =
    green.healthCheck !== undefined
      ? green.healthCheck
      : await healthCheckOf(deps.clients.elbv2, plan.idle.targetGroupArn).catch((e: Error) => {
          unread.push(`the target group's health check (${e.name})`);
          return null;
        });
  let registered: { at: number | null; lowerBound: boolean; unread?: string } = { at: null, lowerBound: false };
  if (healthCheck && view.inService >= a.desired) registered = await opts.registeredAt(healthCheck);
  if (registered.unread) unread.push(registered.unread);
  const next = nextGreenCheck({ ...view, healthCheck, lastRegisteredAt: registered.at, lastRegisteredIsLowerBound: registered.lowerBound });
  return { ...next, why: unread.length ? `${next.why}; could not read ${unread.join(', ')}` : next.why, healthCheck };
}

/**
 * Apply the next traffic step (all at once, canary, linear or custom): a health guard, the
 * weighted forward action, and a read-back; the step does not count until the read-back shows it.
 */
export async function switchRouted(deps: Deps, app: RoutedAppConfig, input: SwitchInput<RoutedPlan>, assess: () => Promise<Assessment>): Promise<Shift> {
  const { plan, green, release } = input;
  // A rollback moves everything at once: the colour it returns to was live a moment ago.
  const steps = release.action === 'rollback' ? shiftSteps({ strategy: 'all-at-once' }) : shiftSteps(app.traffic);
  const index = Math.min(input.shift?.step ?? 0, steps.length - 1);
  const { percent, bakeSeconds } = steps[index];
  const to = plan.idle.targetGroupArn;
  const from = plan.live.targetGroupArn;
  const actions = await readRoute(deps.clients.elbv2, plan.route);
  let judgement: string | null = null;
  if (!routeSends(actions, to, from, percent)) {
    // The step that just baked is judged first (judge:): a canary worse than its baseline rolls back here.
    if (index > 0 && release.action !== 'rollback' && input.shift?.at)
      judgement = await judgeBake(deps, app, plan, input.shift.at, { percent: steps[index - 1].percent, last: index === steps.length - 1, version: release.version });
    await shift(deps, input, app, actions, index, percent, assess, judgement);
  }
  // The bake runs from the moment the route (read back) sends this step's share.
  const result = { step: index + 1, percent, bakeSeconds, done: percent === 100, at: deps.now().toISOString(), ...(judgement ? { judgement } : {}) };
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
async function healthCheckFor(deps: Deps, plan: RoutedPlan, green: Green): Promise<HealthCheckTiming | null> {
  if (green.healthCheck !== undefined) return green.healthCheck;
  return healthCheckOf(deps.clients.elbv2, plan.idle.targetGroupArn).catch(() => null);
}

/** One traffic step: checks that the route is as expected and green may take traffic, write, read back. */
async function shift(deps: Deps, input: SwitchInput<RoutedPlan>, app: RoutedAppConfig, actions: RouteAction[], index: number, percent: number, assess: () => Promise<Assessment>, judgement: string | null) {
  const { plan, release } = input;
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
  const a = await assess();
  if (!a.ready) throw new GreenNotHealthy(`green is no longer fully healthy (${a.detail}): not switching`);

  await fencedRouteWrite(deps, release.app, input.execution?.id, { rollingBack: release.action === 'rollback', colour: plan.idle.colour }, async () => {
    // The alarms are read last, right before the write (the lock's marker may have taken a
    // while under throttling): an alarm that fired meanwhile stops the step here.
    if (release.action !== 'rollback') await stopIfAlarming(deps, app);
    await writeRoute(elbv2, plan.route, shiftedActions(actions, to, from, percent));
    if (!routeSends(await readRoute(elbv2, plan.route), to, from, percent))
      throw new TrafficNotShifted(`the route was modified but the read-back does not send ${percent}% to ${plan.idle.colour} yet`);
  });
  if (input.execution) await tell(deps, { event: 'traffic-shifted', release, execution: input.execution, extra: { percent, ...(judgement ? { judgement } : {}) } });
}

/** The old colour's retirement schedule (keep-warm, or the configured steps). */
export function scheduleFor(app: RoutedAppConfig, plan: RoutedPlan) {
  return retireSchedule(app.retire, app.kind === 'asg' ? app.retire.keepWarmInstances : app.retire.keepWarmTasks, plan.live.units);
}

/** What a routed kind does to its old colour: scale it to `units`, and stop it consuming queues. */
export interface RetireParts {
  scale: (units: number) => Promise<Record<string, unknown>>;
  quiesce: () => Promise<string[]>;
}

/**
 * Retire the old colour, one step of its schedule per call (`step`; the first also quiesces it),
 * or at once (`phase: "zero"`, the hand-typed retire). Answers when the next step is due.
 */
export async function retireRouted(deps: Deps, app: RoutedAppConfig, input: RetireInput<RoutedPlan>, parts: RetireParts): Promise<Retired> {
  const { plan } = input;
  const k = input.phase === 'zero' ? -1 : (input.step ?? 0);
  // Never scale down a colour that takes traffic (e.g. after a manual flip back).
  if (!routeSends(await readRoute(deps.clients.elbv2, plan.route), plan.idle.targetGroupArn, plan.live.targetGroupArn))
    throw new LiveColourChanged(`${plan.idle.colour} no longer takes all traffic: not retiring ${plan.live.colour}`);
  const schedule = scheduleFor(app, plan);
  const held = k > 0 ? await holdWhileAlarm(deps, app, input, k) : null;
  if (held) return held;
  const units = k < 0 ? 0 : schedule[Math.min(k, schedule.length - 1)].units;
  const quiesced = k === 0 ? await quiesce(deps, app, input, parts) : [];
  const r = await parts.scale(units);
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

/**
 * By metric: while a hold alarm fires (e.g. the new colour's latency), the old colour keeps what
 * it has; the step is tried again a minute later. An unreadable alarm holds too. At most
 * retire.maxHoldMinutes (an execution has a history limit): then the old colour stays as it is
 * and the release ends; retire it by hand once the alarm clears.
 */
async function holdWhileAlarm(deps: Deps, app: RoutedAppConfig, input: RetireInput<RoutedPlan>, k: number): Promise<Retired | null> {
  const { plan, release } = input;
  if (!app.retire.holdWhileAlarm.length) return null;
  const held = (await alarmStates(deps.clients.cloudwatch, app.retire.holdWhileAlarm)).filter((a) => a.state === 'ALARM' || a.state === 'MISSING');
  if (!held.length) return null;
  const since = input.heldSince ?? deps.now().toISOString();
  const heldFor = (deps.now().getTime() - Date.parse(since)) / 1000;
  const names = held.map((a) => a.name);
  if (heldFor >= app.retire.maxHoldMinutes * 60)
    return { colour: plan.live.colour, step: k, done: true, waitSeconds: 0, heldSince: since, held: names, note: `retirement held for ${app.retire.maxHoldMinutes} minutes by ${names.join(', ')}: ${plan.live.colour} kept as it is; retire it with {"app":"${release.app}","action":"retire"}` };
  return { colour: plan.live.colour, step: k, done: false, waitSeconds: 60, heldSince: since, held: names };
}

/** The old colour stops consuming queues: processes suspended, workers handed over, an event. */
async function quiesce(deps: Deps, app: RoutedAppConfig, input: RetireInput<RoutedPlan>, parts: RetireParts): Promise<string[]> {
  const { plan, release, execution } = input;
  const q = app.retire.quiesce;
  if (!q) return [];
  const done = [...(await parts.quiesce())];
  if (q.event && execution) {
    await tell(deps, { event: 'quiesced', release, execution, extra: { before: { colour: plan.live.colour, version: plan.live.version } } });
    done.push('event');
  }
  return done;
}

/** Traffic back on the old colour (if it moved), green to zero (unless kept for inspection). */
export async function rollbackRouted(deps: Deps, app: RoutedAppConfig, input: RollbackInput<RoutedPlan>, zeroGreen: () => Promise<void>): Promise<RolledBack> {
  const { plan, release, reason } = input;
  const { elbv2 } = deps.clients;
  const back = plan.live.targetGroupArn;
  const away = plan.idle.targetGroupArn;
  const actions = await readRoute(elbv2, plan.route);
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
        await writeRoute(elbv2, plan.route, shiftedActions(actions, back, away, 100));
        if (!routeSends(await readRoute(elbv2, plan.route), back, away))
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
    await zeroGreen();
    greenScaledToZero = true;
  }
  return { reason, liveColour: plan.live.colour, trafficRestored, greenScaledToZero };
}
