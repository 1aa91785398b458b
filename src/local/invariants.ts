// Size: every guarantee checked at the end of a run, and the readings of the run they share.
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { historyQuery, lockKey, lockOf } from '../aws/dynamodb.js';
import type { Config } from '../core/config.js';
import { DETAIL_TYPES } from '../core/history.js';
import { SIM_TABLE } from '../sim/build.js';
import type { Second } from '../sim/traffic.js';
import type { Action, World } from '../sim/world.js';
import type { ExecutionRecord } from './stepfunctions.js';

// The guarantees, checked against what happened in a run: its end state and every second of it.
// Each violation is one line that starts with the invariant's name. A run is consistent when the
// list is empty. Every check here is shown failing by a run built to break it
// (test/flows/invariants.test.ts).

/** A write to an app's production route (ModifyListener / ModifyRule), as it landed. */
export interface RouteWrite {
  /** When the write landed, and when its call was made. */
  t: number;
  started?: number;
  /** The forward actions it wrote. */
  actions?: Action[];
  app: string;
  arn: string;
  caller: string;
  execution?: string;
  /** The app's lock owner when the write landed. */
  lockOwner?: string;
}

export interface InvariantInput {
  world: World;
  config: Config;
  app: string;
  /** The release outcome reported for the run ('released', 'rolled-back', ...), and its execution. */
  outcome: string;
  main: ExecutionRecord | undefined;
  /** The version uploaded (the release measured). */
  version: string | null;
  initialVersion: string;
  /** What served before anything ran: the colour and its capacity. */
  initialLive: string;
  initialSize: number;
  /** Capacity per colour every 5 s (desired, healthy). */
  capacity: { t: number; colours: Record<string, { desired: number; healthy: number }> }[];
  /** Per second of the app's traffic. */
  seconds: Second[];
  executions: ExecutionRecord[];
  routeWrites: RouteWrite[];
  /** The release window [from, to): the capacity invariant applies inside it. */
  releaseFrom: number;
  /** Serving capacity may not drop below this share of the initial one (percent; 0 turns the check off). */
  minHealthyPercent: number;
  /** When the scenario itself impaired a server: every capacity check stops there. */
  impairedAt: number | null;
  /** When the scenario itself changed a colour's size (a scale step): the minimum-share check stops there. */
  scaledAt: number | null;
  /** ECS tasks following the group: the count the service ends at; the floor is then the smaller of before and after, throughout. */
  capacityTarget?: number;
  /** The app's uploaded versions in the order they were uploaded (oldest first). */
  uploadOrder?: string[];
  /** When a person changed the app's route by hand. */
  manualRouteChanges?: number[];
}

const ENDED_BACK = new Set(['rolled-back', 'rejected', 'aborted', 'superseded', 'already-live']);

/** Long: the guarantees, one block each (end state, capacity, lock, events, manual changes, newest upload, one at a time, guard alarms, fenced writes), sharing what they read of the run; each block is named by its comment and its violation's prefix. */
export function checkInvariants(i: InvariantInput): string[] {
  const bad: string[] = [];
  const a = i.config.apps[i.app];
  const last = i.seconds[i.seconds.length - 1];
  const lastVersions = last ? Object.entries(last.versions).filter(([, n]) => n > 0) : [];
  const allOn = (v: string | null) => !!last && last.total > 0 && v !== null && (last.versions[v] ?? 0) === last.total;
  /** The colour an execution brought up: the one without traffic when it planned (or started). */
  const broughtUp = (e: ExecutionRecord): 'blue' | 'green' | null => {
    if (a.kind === 'eip') return null;
    const before = colourAt(i.world, a, e.statesEntered.find((x) => x.name === 'Plan')?.t ?? e.startedAt, i.initialLive);
    return before === 'blue' ? 'green' : before === 'green' ? 'blue' : null;
  };

  // End state tied to the outcome, judged against what served when the release began (read
  // from the traffic and the route, not from anything the release reported).
  // The release begins when it holds the lock and plans (a waiting release changes nothing).
  const start = i.main?.statesEntered.find((x) => x.name === 'Plan')?.t ?? i.main?.startedAt ?? i.releaseFrom;
  const action = mainAction(i.main);
  const runs = fullyLiveRuns(i.seconds, start);
  const oldVersion = runs[runs.length - 1] ?? i.initialVersion;
  // A hand-typed rollback releases the version that served before the current one.
  const target = action === 'rollback' ? (runs[runs.length - 2] ?? null) : i.version;
  const oldColour = a.kind === 'eip' ? null : colourAt(i.world, a, start, i.initialLive);
  const sample = [...i.capacity].reverse().find((c) => c.t <= start) ?? i.capacity[0];
  const oldSize = oldColour && sample?.colours[oldColour] ? sample.colours[oldColour].desired : i.initialSize;
  // A rollback execution (hand-typed or the guard's) that did its job is judged like a release of
  // its target; one that was itself rolled back (its target failed the health guard) like any
  // rolled-back release: what served before it still serves.
  const releasedLike = i.outcome === 'released' || (action === 'rollback' && i.outcome === 'rolled-back' && i.main?.status === 'SUCCEEDED');
  // A later execution of the app that failed (a retire refused or denied, a rollback that could
  // not start) explains a colour left up: the failure is visible, and a warm colour kept for it
  // is what a retry of that rollback needs.
  const failedLater = i.executions.some((e) => e !== i.main && appOf(e) === i.app && e.startedAt >= (i.main?.startedAt ?? 0) && (e.status === 'FAILED' || e.status === 'ABORTED'));
  if (releasedLike && target !== null && action !== 'retire') {
    if (!allOn(target)) bad.push(`released-live: outcome released but the last second's requests were answered by ${describe(lastVersions, last)}, not all by ${target}`);
    if (a.kind !== 'eip' && oldColour) {
      const liveNow = colourOfRoute(i.world, a);
      if (liveNow === oldColour) bad.push(`released-live: outcome released but the route still sends everything to the old colour ${oldColour}`);
      else {
        const size = desired(i.world, a, oldColour as 'blue' | 'green');
        if (size !== 0 && !failedLater) bad.push(`released-retired: the old colour ${oldColour} still has ${size} capacity at the end (retire ends at 0)`);
      }
    }
  }
  // An app that never served before the release (a route nobody reaches) has no old version to keep.
  const servedBefore = runs.length > 0;
  if (ENDED_BACK.has(i.outcome) && servedBefore && !releasedLike) {
    if (!allOn(oldVersion)) bad.push(`${i.outcome}-old-live: outcome ${i.outcome} but the last second's requests were answered by ${describe(lastVersions, last)}, not all by ${oldVersion}`);
    if (a.kind !== 'eip' && oldColour) {
      const size = desired(i.world, a, oldColour as 'blue' | 'green');
      const healthy = healthyIn(i.world, a, oldColour as 'blue' | 'green');
      if (size < oldSize) bad.push(`${i.outcome}-old-size: the old colour ${oldColour} ended at ${size} capacity, below its ${oldSize} before the release`);
      if (healthy < oldSize) bad.push(`${i.outcome}-old-healthy: the old colour ${oldColour} ended with ${healthy} healthy targets of the ${oldSize} it had`);
      // A rollback takes the colour it brought up back to zero, unless told to keep it.
      const fresh = oldColour === 'blue' ? 'green' : 'blue';
      const keep = (a as { onFailure?: { keepGreenForInspection?: boolean } }).onFailure?.keepGreenForInspection === true;
      const left = desired(i.world, a, fresh);
      if (i.outcome === 'rolled-back' && !keep && left > 0 && !failedLater)
        bad.push(`rolled-back-green-retired: the new colour ${fresh} still has ${left} capacity after the rollback (onFailure.keepGreenForInspection is off)`);
    }
  }
  if (a.kind !== 'eip') {
    const live = colourOfRoute(i.world, a);
    if (live === 'split' || live === 'none') bad.push(`route-whole: the route ended ${live === 'split' ? 'split between the colours' : 'forwarding to no target group'}`);
  }

  // Every second with requests.
  // A capacity change (tasks following the group) never needs fewer tasks serving than the
  // smaller of what served before and what it ends at (ECS's minimumHealthyPercent of that).
  const reference = i.capacityTarget !== undefined ? Math.min(i.initialSize, i.capacityTarget) : i.initialSize;
  const floor = Math.ceil((reference * i.minHealthyPercent) / 100 - 1e-9);
  let unhealthy = 0;
  let zero = 0;
  let belowMin: Second | null = null;
  let belowMinSeconds = 0;
  // Seconds count once the route has served at all: capacity that was never there was not lost.
  let served = false;
  for (const s of i.seconds) {
    served ||= s.serving > 0;
    if (!served || s.total === 0 || (i.impairedAt !== null && s.t >= i.impairedAt)) continue;
    if (s.unhealthyGroups > 0) unhealthy++;
    if (s.serving === 0) zero++;
    const inWindow = i.capacityTarget !== undefined ? true : s.t >= i.releaseFrom && (i.scaledAt === null || s.t < i.scaledAt);
    if (inWindow && floor > 0 && s.serving < floor) {
      belowMin ??= s;
      belowMinSeconds++;
    }
  }
  if (unhealthy) bad.push(`route-healthy: for ${unhealthy} s the route sent requests to a target group with no healthy target`);
  if (zero) bad.push(`capacity-nonzero: for ${zero} s nothing healthy served the route`);
  if (belowMin) bad.push(`capacity-min: for ${belowMinSeconds} s fewer than ${floor} targets served (${i.minHealthyPercent}% of ${reference}), first at t=${Math.round(belowMin.t)} with ${belowMin.serving}`);

  // The lock and the records, at the end.
  const lock = lockOf(i.world.dynamodb.getItem({ TableName: SIM_TABLE, Key: lockKey(i.app) }).Item);
  if (lock.owner) {
    const owner = i.executions.find((e) => e.executionArn === lock.owner);
    if (owner?.status !== 'RUNNING') bad.push(`lock-free: the lock of ${i.app} is held at the end by ${lock.owner.split(':').pop()} (${owner ? owner.status : 'no such execution'})`);
  }
  const history = i.world.dynamodb
    .query({ TableName: SIM_TABLE, ...historyQuery(i.app) })
    .Items.map((x) => unmarshall(x as never) as { executionArn: string; outcome: string });
  for (const h of history) {
    const e = i.executions.find((x) => x.executionArn === h.executionArn);
    if (!e) continue;
    const expected = executionOutcome(e);
    if (!outcomeMatches(h.outcome, expected)) bad.push(`history-outcome: ${e.name} is ${e.status}${expected ? ` (${expected})` : ''} but its history record says ${h.outcome}`);
  }
  const byExecution = new Map<string, string[]>();
  for (const p of i.world.published) {
    if (p.source !== 'greenlight') continue;
    const d = p.detail as { executionArn?: string; app?: string };
    if (d.app !== i.app || !d.executionArn) continue;
    byExecution.set(d.executionArn, [...(byExecution.get(d.executionArn) ?? []), p.detailType]);
  }
  for (const [arn, types] of byExecution) {
    const e = i.executions.find((x) => x.executionArn === arn);
    if (!e || e.status === 'RUNNING') continue;
    const expected = executionOutcome(e);
    const finals = types.filter((t) => FINAL_EVENTS.has(t));
    const wanted = expected ? FINAL_EVENT_OF[expected.replace(/^(rollback|retire)-failed$/, 'failed')] : undefined;
    for (const f of new Set(finals)) if (wanted && f !== wanted) bad.push(`events-outcome: ${e.name} ended ${expected} but published "${f}"`);
    // Delivery is at least once (a retried Finish may publish its final event again); two different finals are a contradiction.
    if (new Set(finals).size > 1) bad.push(`events-outcome: ${e.name} published contradicting final events (${[...new Set(finals)].join(', ')})`);
  }

  // A "Traffic Shifted" event tells the truth: when it is published, the route sends that share
  // to the colour the release brought up (a step is announced only once its write is read back).
  if (a.kind !== 'eip')
    for (const p of i.world.published) {
      const d = p.detail as { executionArn?: string; app?: string; event?: string; percent?: number; action?: string };
      if (p.source !== 'greenlight' || d.app !== i.app || d.event !== 'traffic-shifted' || d.percent === undefined || (d.action ?? 'release') !== 'release') continue;
      const e = i.executions.find((x) => x.executionArn === d.executionArn);
      const fresh = e && broughtUp(e);
      if (!e || !fresh) continue;
      const share = shareAt(i.world, a, fresh, p.t, i.initialLive);
      if (share !== d.percent) bad.push(`events-true: ${e.name} announced ${d.percent}% of traffic on ${fresh} at t=${Math.round(p.t * 100) / 100}, when the route sent it ${share}%`);
    }

  // A person's change to the route while a release prepared green (after it planned, before its
  // first traffic step began) stands: the release may roll back, never push more traffic to
  // its colour over it. (A change racing the release's own switch cannot be told from a stale
  // read, and is not judged.)
  if (a.kind !== 'eip')
    for (const e of i.executions.filter((x) => appOf(x) === i.app && releaseOf(x)?.action === 'release')) {
      const planned = e.statesEntered.find((x) => x.name === 'Plan')?.t;
      const switched = e.statesEntered.find((x) => x.name === 'SwitchTraffic')?.t;
      if (planned === undefined || switched === undefined) continue;
      const manual = (i.manualRouteChanges ?? []).find((m) => m > planned && m < switched);
      const fresh = broughtUp(e);
      if (manual === undefined || !fresh) continue;
      for (const w of i.routeWrites.filter((x) => x.execution === e.executionArn && (x.started ?? x.t) > manual)) {
        const was = shareAt(i.world, a, fresh, (w.started ?? w.t) - 1e-6, i.initialLive);
        const now = shareOfActions(i.world, a, fresh, w.actions ?? []);
        if (now > was) {
          bad.push(`manual-respected: ${e.name} moved ${fresh}'s share from ${was}% to ${now}% at t=${Math.round(w.t)}, over a change made by hand at t=${Math.round(manual)}`);
          break;
        }
      }
    }

  // The newest upload wins: once a newer upload's release began deploying, no older upload's
  // release may deploy (an older event delivered late is superseded, never released over it).
  const order = i.uploadOrder ?? [];
  const deployedAt = (e: ExecutionRecord) => e.statesEntered.find((x) => x.name === 'PrepareGreen')?.t;
  const uploadsOfApp = i.executions
    .filter((e) => e.stateMachineArn.endsWith('-release'))
    .map((e) => ({ e, r: releaseOf(e), at: deployedAt(e) }))
    .filter((x) => x.r?.uploaded && x.r.app === i.app && x.r.version !== null && order.includes(x.r.version) && x.at !== undefined);
  for (const newer of uploadsOfApp)
    for (const older of uploadsOfApp)
      if (order.lastIndexOf(older.r!.version!) < order.lastIndexOf(newer.r!.version!) && older.at! > newer.at!)
        bad.push(`newest-wins: ${older.e.name} (${older.r!.version}) began deploying at t=${Math.round(older.at!)}, after the newer upload ${newer.r!.version} had (t=${Math.round(newer.at!)})`);

  // One release at a time: release executions of this app whose busy spans overlap.
  const mine = i.executions.filter((e) => e.stateMachineArn.endsWith('-release') && appOf(e) === i.app);
  const spans = mine.map((e) => busySpans(e, Number.POSITIVE_INFINITY));
  for (let x = 0; x < mine.length; x++)
    for (let y = x + 1; y < mine.length; y++) {
      const overlap = spans[x].flatMap(([s1, e1]) => spans[y].filter(([s2, e2]) => s1 < e2 && s2 < e1).map(([s2]) => Math.max(s1, s2)));
      if (overlap.length) bad.push(`exclusive: ${mine[x].name} and ${mine[y].name} were both busy with ${i.app} at t=${Math.round(overlap[0])}`);
    }

  // Guard alarms are respected: a release never moves traffic toward its colour when one of the
  // app's guard alarms had been in ALARM since before that write was made (a write already in
  // flight when the alarm fires is the guard's to undo, and route-* above judge the end).
  const guards = a.kind !== 'eip' ? (a.alarms ?? []) : [];
  if (a.kind !== 'eip' && guards.length) {
    const alarmingSince = (t: number): string | null => {
      for (const name of guards) {
        const last = i.world.ec2.alarmChanges.filter((c) => c.name === name && c.t <= t).pop();
        const initial = i.world.ec2.alarmChanges.find((c) => c.name === name) ? undefined : i.world.ec2.alarms.get(name)?.state;
        if (last?.state === 'ALARM' || (!last && initial === 'ALARM')) return name;
      }
      return null;
    };
    let previous: Action[] | undefined;
    for (const w of i.routeWrites.filter((x) => x.app === i.app)) {
      const e = w.execution ? i.executions.find((x) => x.executionArn === w.execution) : undefined;
      const releasing = e && (mainAction(e) ?? 'release') === 'release';
      if (releasing && w.actions && w.started !== undefined) {
        const fresh = broughtUp(e);
        const mineTg = fresh ? a[fresh].targetGroupArn : null;
        const weight = (acts: Action[] | undefined) => {
          const f = acts?.find((x) => x.Type === 'forward');
          const groups = f?.ForwardConfig?.TargetGroups ?? (f?.TargetGroupArn ? [{ TargetGroupArn: f.TargetGroupArn, Weight: 1 }] : []);
          const total = groups.reduce((n, g) => n + (g.Weight ?? 1), 0);
          return total ? (groups.find((g) => g.TargetGroupArn === mineTg)?.Weight ?? 0) / total : 0;
        };
        const alarm = mineTg && weight(w.actions) > weight(previous) ? alarmingSince(w.started - 1) : null;
        if (alarm) bad.push(`alarm-respected: ${e.name} moved traffic toward ${fresh} at t=${w.t.toFixed(2)} while guard alarm ${alarm} was in ALARM`);
      }
      previous = w.actions;
    }
  }

  // Fenced route writes: none lands from an execution that was stopped or no longer holds the lock.
  for (const w of i.routeWrites) {
    if (!w.execution) continue;
    const e = i.executions.find((x) => x.executionArn === w.execution);
    const name = w.execution.split(':').pop();
    if (e?.stopRequest && w.t > e.stopRequest.t) bad.push(`fenced-writes: ${w.caller} of ${name} changed the route at t=${w.t.toFixed(2)}, after the execution was stopped at t=${e.stopRequest.t.toFixed(2)}`);
    else if (w.lockOwner !== w.execution) bad.push(`fenced-writes: ${w.caller} of ${name} changed the route at t=${w.t.toFixed(2)} while the lock was ${w.lockOwner ? `held by ${w.lockOwner.split(':').pop()}` : 'free'}`);
  }
  return bad;
}

function mainAction(e: ExecutionRecord | undefined): string | undefined {
  try {
    const input = JSON.parse(e?.input ?? '{}') as { action?: unknown };
    return typeof input.action === 'string' ? input.action : undefined;
  } catch {
    return undefined;
  }
}

/** The versions that answered every request of a second, in order, each once per run of seconds, before `t`. */
function fullyLiveRuns(seconds: Second[], t: number): string[] {
  const out: string[] = [];
  for (const s of seconds) {
    if (s.t > t) break;
    if (s.total === 0 || s.failed) continue;
    const vs = Object.entries(s.versions).filter(([, n]) => n > 0);
    if (vs.length !== 1) continue;
    if (out[out.length - 1] !== vs[0][0]) out.push(vs[0][0]);
  }
  return out;
}

/** The colour the app's route sent everything to at time t (from the route-change log; `initial` before any change). */
export function colourAt(world: World, a: Routed, t: number, initial: string): string {
  const arn = a.ruleArn ?? a.listenerArn;
  const change = world.elb.routeChanges.filter((c) => c.arn === arn && c.t <= t).pop();
  return change ? colourOfActions(world, a, change.actions) : initial;
}

/** The share (percent, rounded) of the app's route that `colour` took at time t. */
function shareAt(world: World, a: Routed, colour: 'blue' | 'green', t: number, initial: string): number {
  const arn = a.ruleArn ?? a.listenerArn;
  const change = world.elb.routeChanges.filter((c) => c.arn === arn && c.t <= t).pop();
  if (!change) return colour === initial ? 100 : 0;
  return shareOfActions(world, a, colour, change.actions);
}

/** The share (percent, rounded) these route actions give `colour`. */
function shareOfActions(world: World, a: Routed, colour: 'blue' | 'green', actions: Action[]): number {
  const f = world.elb.describeActions(actions).find((x) => x.Type === 'forward');
  const groups = f?.ForwardConfig?.TargetGroups ?? [];
  const total = groups.reduce((n, g) => n + (g.Weight ?? 0), 0);
  const mine = groups.find((g) => g.TargetGroupArn === a[colour].targetGroupArn)?.Weight ?? 0;
  return total ? Math.round((mine / total) * 100) : 0;
}

/** 'blue', 'green', 'split' or 'none': where these route actions send the requests. */
function colourOfActions(world: World, a: Routed, actions: Parameters<World['elb']['describeActions']>[0]): string {
  const f = world.elb.describeActions(actions).find((x) => x.Type === 'forward');
  const live = (f?.ForwardConfig?.TargetGroups ?? []).filter((g) => (g.Weight ?? 0) > 0).map((g) => g.TargetGroupArn);
  if (live.length === 0) return 'none';
  if (live.length > 1) return 'split';
  return live[0] === a.blue.targetGroupArn ? 'blue' : live[0] === a.green.targetGroupArn ? 'green' : 'none';
}

const FINAL_EVENT_OF: Record<string, string> = {
  released: DETAIL_TYPES.succeeded,
  'already-live': DETAIL_TYPES.succeeded,
  'rolled-back': DETAIL_TYPES['rolled-back'],
  failed: DETAIL_TYPES.failed,
  rejected: DETAIL_TYPES.rejected,
  superseded: DETAIL_TYPES.superseded,
};
const FINAL_EVENTS = new Set(Object.values(FINAL_EVENT_OF));

/** The outcome an execution's end implies, as history words (undefined: it does not say). */
export function executionOutcome(e: ExecutionRecord): string | undefined {
  if (e.status === 'RUNNING') return 'running';
  if (e.status === 'SUCCEEDED') return (e.output as { outcome?: string } | undefined)?.outcome ?? 'released';
  if (e.status === 'ABORTED') return e.stopRequest?.error === 'AlarmRollback' ? 'rolled-back' : undefined;
  if (e.error === 'ReleaseRejected') return 'rejected';
  if (e.error === 'ReleaseRolledBack' || e.error === 'AlarmRollback') return 'rolled-back';
  return 'failed';
}

function outcomeMatches(history: string, expected: string | undefined): boolean {
  if (expected === undefined) return history !== 'running';
  if (expected === 'failed') return /failed$/.test(history);
  if (expected === 'already-live') return history === 'already-live';
  return history === expected;
}

function describe(versions: [string, number][], last: Second | undefined): string {
  if (!last || last.total === 0) return 'nothing (no requests)';
  const failed = last.failed ? [`${last.failed} failed`] : [];
  return [...versions.map(([v, n]) => `${v} ×${n}`), ...failed].join(', ');
}

type Routed = Exclude<Config['apps'][string], { kind: 'eip' }>;

/** 'blue', 'green', 'split' or 'none': where the app's production route sends its requests now. */
export function colourOfRoute(world: World, a: Routed): string {
  return colourOfActions(world, a, a.ruleArn ? world.elb.rule(a.ruleArn).actions : world.elb.listener(a.listenerArn).defaultActions);
}

export function desired(world: World, a: Routed, colour: 'blue' | 'green'): number {
  const side = a[colour];
  return 'serviceName' in side ? world.ecs.service(side.cluster, side.serviceName).desiredCount : (world.groups.get(side.autoScalingGroupName!)?.desired ?? 0);
}

export function healthyIn(world: World, a: Routed, colour: 'blue' | 'green'): number {
  const tg = world.elb.targetGroups.get(a[colour].targetGroupArn);
  return tg ? [...tg.targets.values()].filter((t) => t.state === 'healthy' && world.serving(t.id)).length : 0;
}

// Two releases of one app never interleave: their busy spans (planning, preparing green, moving
// traffic, retiring, rolling back) never overlap. The lock is what makes this hold.
const BUSY_STATES = new Set([
  'Plan',
  'PrepareCapacity',
  'WaitForCapacity',
  'CheckCapacity',
  'CapacityReady?',
  'PrepareGreen',
  'WaitForGreen',
  'CheckGreen',
  'GreenReady?',
  'StartShift',
  'SwitchTraffic',
  'Shifted?',
  'Bake',
  'BakeCheck',
  'BakeLeft?',
  'BakeRest',
  'RetireStep',
  'RetireNow',
  'Rollback',
]);

/** Busy spans of each execution: from entering a busy state until entering a state that is not. */
export function busySpans(e: Pick<ExecutionRecord, 'statesEntered' | 'stoppedAt'>, end: number): [number, number][] {
  const spans: [number, number][] = [];
  let from: number | null = null;
  for (const s of e.statesEntered) {
    const busy = BUSY_STATES.has(s.name);
    if (busy && from === null) from = s.t;
    else if (!busy && from !== null) {
      spans.push([from, s.t]);
      from = null;
    }
  }
  if (from !== null) spans.push([from, e.stoppedAt ?? end]);
  return spans;
}

/** Pairs of release executions of one app whose busy spans overlap (the lock must make this 0). */
export function interleavedPairs(executions: Pick<ExecutionRecord, 'statesEntered' | 'stoppedAt'>[], end = Number.POSITIVE_INFINITY): number {
  const spans = executions.map((e) => busySpans(e, end));
  let pairs = 0;
  for (let a = 0; a < spans.length; a++)
    for (let b = a + 1; b < spans.length; b++) if (spans[a].some(([s1, e1]) => spans[b].some(([s2, e2]) => s1 < e2 && s2 < e1))) pairs++;
  return pairs;
}


/** The app a release execution is for: its hand-typed input's app, or the uploaded key's. */
function appOf(e: Pick<ExecutionRecord, 'input'>): string | null {
  return releaseOf(e)?.app ?? null;
}

/**
 * The app and version a release execution is for, from its input: a hand-typed input's fields,
 * or the uploaded key (`releases/<app>/<version>.<ext>`, `%XX` decoded and `+` kept, as greenlight reads it).
 */
export function releaseOf(e: Pick<ExecutionRecord, 'input'>): { app: string | null; version: string | null; action: string; uploaded: boolean } | null {
  try {
    const input = JSON.parse(e.input || '{}') as { app?: unknown; version?: unknown; action?: unknown; detail?: { object?: { key?: string } } };
    if (typeof input.app === 'string') return { app: input.app, version: typeof input.version === 'string' ? input.version : null, action: typeof input.action === 'string' ? input.action : 'release', uploaded: false };
    const key = input.detail?.object?.key;
    const m = key ? /^releases\/([^/]+)\/(.+?)(\.json|\.tar\.gz|\.tgz|\.zip)?$/.exec(decodeURIComponent(key)) : null;
    return m ? { app: m[1], version: m[2], action: 'release', uploaded: true } : null;
  } catch {
    return null;
  }
}
