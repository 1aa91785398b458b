import { alarmStates } from '../aws/cloudwatch.js';
import { readLock } from '../aws/dynamodb.js';
import { readRoute, targetHealth, writeRoute } from '../aws/elbv2.js';
import { describeExecution, startExecution, stopExecution } from '../aws/sfn.js';
import { AlarmEvent } from '../core/alarm-event.js';
import type { Colour, RoutedAppConfig } from '../core/config.js';
import { AlarmFiring, InvalidInput } from '../core/errors.js';
import { guardTakeover, released } from '../core/lock.js';
import { colourWeights, liveColour, other, routeSends, shiftedActions } from '../core/route.js';
import type { Deps } from './deps.js';
import { logger } from './lambda.js';
import { changeLock } from './lock.js';
import { closeStoppedRelease } from './record.js';
import { routeOf, side } from './sides.js';
import { isRouted } from '../core/kinds.js';

// Guard alarms (an app's `alarms:`). Checked when a release starts (one in ALARM rejects it),
// before every traffic step (one in ALARM rolls back), and event-driven: an alarm going to ALARM
// flips a running release's traffic back at once, without waiting for its next step.

/** Plan: a release does not start while a guard alarm fires, or while an alarm it names does not exist. Reads only. */
export async function rejectIfAlarming(deps: Deps, app: RoutedAppConfig, name: string): Promise<void> {
  const hold = app.retire.holdWhileAlarm.filter((a) => !app.alarms.includes(a));
  if (!app.alarms.length && !hold.length) return;
  const all = await alarmStates(deps.clients.cloudwatch, [...app.alarms, ...hold]);
  const states = all.filter((a) => app.alarms.includes(a.name));
  const missing = states.filter((a) => a.state === 'MISSING');
  if (missing.length) throw new InvalidInput(`guard alarm ${missing.map((a) => a.name).join(', ')} does not exist: fix alarms in ${name}'s config`);
  // A hold alarm that does not exist would hold retirement until maxHoldMinutes: a typo, found now.
  const missingHold = all.filter((a) => hold.includes(a.name) && a.state === 'MISSING');
  if (missingHold.length) throw new InvalidInput(`retire.holdWhileAlarm names ${missingHold.map((a) => a.name).join(', ')}, which does not exist: fix retire.holdWhileAlarm in ${name}'s config`);
  const firing = states.filter((a) => a.state === 'ALARM');
  if (firing.length)
    throw new InvalidInput(`guard alarm ${firing.map((a) => `${a.name} is in ALARM (${a.reason || 'no reason given'})`).join('; ')}: the release did not start; release again once it is OK`);
}

/** Before a traffic step: any guard alarm in ALARM (or unreadable, or gone) stops the shift. */
export async function stopIfAlarming(deps: Deps, app: RoutedAppConfig): Promise<void> {
  if (!app.alarms.length) return;
  // A failed read throws (and is retried by the state machine): it never counts as OK.
  const bad = (await alarmStates(deps.clients.cloudwatch, app.alarms)).filter((a) => a.state === 'ALARM' || a.state === 'MISSING');
  if (bad.length) throw new AlarmFiring(`guard alarm ${bad.map((a) => `${a.name} is ${a.state === 'MISSING' ? 'gone' : 'in ALARM'}`).join(', ')}: not moving more traffic`);
}

export interface GuardOutcome {
  app: string;
  action: 'none' | 'flipped' | 'rollback-started' | 'abort-started' | 'abort-requested';
  detail: string;
}

/**
 * EventBridge → Lambda on a guard alarm's ALARM. For every app that names the alarm and has a
 * release holding its lock: while traffic is (partly) on the new colour and the old one is still
 * fully healthy, the route goes back to the old colour now (read back), the release's execution
 * is stopped and recorded as rolled back, and a retire execution takes the new colour down.
 * Otherwise a rollback (or, before any traffic moved, a retire) execution does the work. Safe to
 * deliver twice: a second delivery finds the lock free and the route already back.
 */
export async function onGuardAlarm(deps: Deps, event: unknown): Promise<GuardOutcome[]> {
  const ev = AlarmEvent.safeParse(event);
  if (!ev.success) throw new InvalidInput('not a CloudWatch Alarm State Change event');
  const { alarmName, state } = ev.data.detail;
  if (state.value !== 'ALARM') return [];
  const out: GuardOutcome[] = [];
  // One marker per alarm event: Lambda's retries of this event resume what an earlier attempt began.
  const eventId = String((event as { id?: unknown }).id ?? Math.floor(deps.now().getTime() / 1000));
  for (const [name, app] of Object.entries(deps.config.apps)) {
    if (!isRouted(app) || !app.alarms.includes(alarmName)) continue;
    out.push(await guardApp(deps, name, app, alarmName, eventId));
  }
  return out;
}

async function guardApp(deps: Deps, name: string, app: RoutedAppConfig, alarm: string, eventId: string, attempt = 0): Promise<GuardOutcome> {
  const { dynamodb, elbv2, sfn } = deps.clients;
  const { table, releaseStateMachineArn } = deps.env;
  const me = `${GUARD_OWNER}${alarm}:${eventId}`.slice(0, 256);
  const held = await readLock(dynamodb, table, name);
  // An earlier attempt for this event took the lock and failed (a crash after the write): go on
  // from there, as the owner of the release it took it from.
  const lock = held.owner === me && held.guardedOwner ? { ...held, owner: held.guardedOwner, ownerVersion: held.guardedVersion, phase: 'running' as const } : held;
  const resuming = held.owner === me;
  if (!lock.owner) return { app: name, action: 'none', detail: 'no release is running' };
  if (!resuming && lock.owner.startsWith(GUARD_OWNER)) return { app: name, action: 'none', detail: `the guard (${lock.owner}) is already rolling ${name} back` };
  // A rollback holds the lock: the alarm is about what it is undoing (or already undid).
  if (lock.ownerAction === 'rollback') return { app: name, action: 'none', detail: `a rollback (${lock.ownerVersion}) holds ${name}'s lock` };
  const owner = lock.owner;
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  // A rollback names the version it undoes: it does nothing if that version no longer serves.
  const start = (action: 'rollback' | 'retire', colour?: Colour) =>
    startExecution(sfn, releaseStateMachineArn, `${name}-${action}-${alarm.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 30)}-${nowSeconds}`, {
      app: name,
      action,
      ...(colour ? { colour } : {}),
      ...(action === 'rollback' && lock.ownerVersion ? { from: lock.ownerVersion } : {}),
    });
  if (lock.phase !== 'running') {
    // The release has finished shifting (its old colour is warm or retiring): a rollback
    // execution takes the lock from it and flips back to the warm colour.
    await start('rollback');
    return { app: name, action: 'rollback-started', detail: `${lock.ownerVersion} had finished shifting: rollback execution started` };
  }
  const route = routeOf(app);
  const w0 = colourWeights(await readRoute(elbv2, route), app);
  const newColour = colourOf(lock, w0);
  const old = newColour ? other(newColour) : null;
  if (old && w0[newColour!] > 0) {
    // Flip only to an old colour that can take it all now: every target healthy, and as many as
    // the new colour serves with (a warm colour of 1 of 4 is scaled up by a rollback first).
    const strength = await fullStrength(deps, app, old, newColour!);
    if (!strength.ok) {
      await start('rollback');
      return { app: name, action: 'rollback-started', detail: `${old} is not fully healthy (${strength.detail}): rollback execution started` };
    }
  }
  // Take the lock before anything else: from now on the release cannot write its route. If a
  // route write of it is in flight, ask it instead: it rolls back itself right after.
  const reason = `guard alarm ${alarm} went to ALARM`;
  const taken = resuming ? 'take' : await changeLock(deps, name, (l) => guardTakeover(l, me, nowSeconds, reason, { owner, phase: lock.phase }));
  // The release moved on while the guard looked (its reads may be slowed by throttling): look again.
  if (taken === 'changed' && attempt < 3) return guardApp(deps, name, app, alarm, eventId, attempt + 1);
  if (taken === 'asked') return { app: name, action: 'abort-requested', detail: `${lock.ownerVersion} is writing its route: it rolls back itself once the write lands` };
  if (taken !== 'take') return { app: name, action: 'none', detail: 'the release let go of the lock meanwhile' };
  try {
    return await actAsOwner(deps, { name, app, alarm, owner, me, reason, route, old, newColour, ownerVersion: lock.ownerVersion, routeWritten: lock.routeWritten === true, start });
  } catch (err) {
    // The guard failed holding the lock: give it back, so that its retry (or the release's own
    // alarm check before its next step) can act; nothing it did is lost (every step re-reads).
    await changeLock(deps, name, (l) =>
      l.owner === me ? { next: { ...l, rev: l.rev + 1, owner, ownerVersion: lock.ownerVersion, leaseUntil: lock.leaseUntil, phase: lock.phase }, result: true } : { result: false },
    );
    throw err;
  }
}

interface GuardAct {
  name: string;
  app: RoutedAppConfig;
  alarm: string;
  owner: string;
  me: string;
  reason: string;
  route: ReturnType<typeof routeOf>;
  old: Colour | null;
  newColour: Colour | null;
  ownerVersion?: string;
  /** The release had begun a route write: a read showing no traffic on its colour may be stale. */
  routeWritten: boolean;
  start: (action: 'rollback' | 'retire', colour?: Colour) => Promise<unknown>;
}

/** The guard holds the lock: stop the release, route back to the old colour, let go, retire the new colour. */
async function actAsOwner(deps: Deps, g: GuardAct): Promise<GuardOutcome> {
  const { elbv2, sfn } = deps.clients;
  const { name, app, alarm, owner, me, reason, route, old, newColour, start } = g;
  const stop = async (why: string) => {
    const d = await describeExecution(sfn, owner);
    if (d.status === 'RUNNING') await stopExecution(sfn, owner, 'AlarmRollback', why.slice(0, 32_000));
  };
  const letGo = async (why: string) => {
    // The stopped release's record first, then the lock: a guard that dies between the two is
    // retried (Lambda's async retries) still holding the lock, and closes the record then.
    if ((await readLock(deps.clients.dynamodb, deps.env.table, name)).owner !== me) return;
    await closeStoppedRelease(deps, name, owner, 'rolled-back', why);
    await changeLock(deps, name, (l) => (l.owner === me ? { next: released(l), result: true } : { result: false }));
  };
  const actions = await readRoute(elbv2, route);
  const w = colourWeights(actions, app);
  if (!old || (w[newColour!] === 0 && !g.routeWritten)) {
    // No production traffic on the new colour: stop the release, take its colour down.
    const why = `${reason} before any traffic moved`;
    await stop(why);
    await letGo(why);
    await start('retire', newColour ?? undefined);
    return { app: name, action: 'abort-started', detail: why };
  }
  const oldSide = side(app, old);
  const why = `${reason} with ${w[newColour!]}% of traffic on ${g.ownerVersion}: traffic flipped back to ${old}`;
  await stop(why);
  // From here the release is stopped: nothing but the guard (or a rollback it starts) can move
  // its route back, so a failure here must not hand the lock back to a dead execution.
  try {
    // Again, now that the release can change nothing more: a scale-down of the old colour that
    // landed while the guard looked (its retire step, in flight) would leave the flip short.
    const strength = await fullStrength(deps, app, old, newColour!);
    if (!strength.ok) {
      const instead = `${reason} while ${old} was being retired (${strength.detail}): a rollback scales it back up before traffic moves`;
      await letGo(instead);
      await start('rollback');
      return { app: name, action: 'rollback-started', detail: instead };
    }
    // Written whatever the read says once the release had written the route (a stale read).
    if (g.routeWritten || !routeSends(actions, oldSide.targetGroupArn, side(app, newColour!).targetGroupArn)) {
      await writeRoute(elbv2, route, shiftedActions(actions, oldSide.targetGroupArn, side(app, newColour!).targetGroupArn, 100));
      if (!routeSends(await readRoute(elbv2, route), oldSide.targetGroupArn, side(app, newColour!).targetGroupArn))
        throw new Error(`the route was modified but the read-back does not send 100% to ${old} yet`);
    }
  } catch (err) {
    // The guard's own flip failed (its write denied or throttled past the SDK's retries): a
    // rollback execution does it instead, with Step Functions' retries and its own role.
    const instead = `${reason}; the guard could not flip the route itself (${(err as Error).name}: ${(err as Error).message.slice(0, 200)}): a rollback execution moves it back to ${old}`;
    logger.error('guard flip failed', { app: name, alarm, error: (err as Error).name });
    await letGo(instead);
    await start('rollback');
    return { app: name, action: 'rollback-started', detail: instead };
  }
  logger.warn('guard alarm rollback', { app: name, alarm, from: newColour, to: old });
  await letGo(why);
  await start('retire', newColour!);
  return { app: name, action: 'flipped', detail: why };
}

/** Whether the old colour can take all traffic now: every target healthy, as many as the new colour serves with. */
async function fullStrength(deps: Deps, app: RoutedAppConfig, old: Colour, fresh: Colour): Promise<{ ok: boolean; detail: string }> {
  const [health, now] = await Promise.all([targetHealth(deps.clients.elbv2, side(app, old).targetGroupArn), targetHealth(deps.clients.elbv2, side(app, fresh).targetGroupArn)]);
  const healthy = health.filter((t) => t.state === 'healthy').length;
  return { ok: health.length > 0 && healthy === health.length && healthy >= now.filter((t) => t.state === 'healthy').length, detail: `${healthy}/${health.length} healthy` };
}

/** Lock owners that are the guard, not an execution. */
export const GUARD_OWNER = 'guard:';

/**
 * The colour the running release brings up: the one its route writes named (the lock keeps it
 * from its first write), else, before any write, the one the route sends nothing to.
 */
function colourOf(lock: { ownerColour?: Colour }, w: { blue: number; green: number }): Colour | null {
  if (lock.ownerColour === 'blue' || lock.ownerColour === 'green') return lock.ownerColour;
  // No route write yet (green still being prepared): the idle colour is the new one.
  const live = liveColour(w);
  return live === 'blue' || live === 'green' ? other(live) : null;
}
