import { holdSeconds } from './capacity.js';
import type { AppConfig } from './config.js';
import { isRouted } from './kinds.js';
import { leaseSeconds } from './lock.js';
import { retireSchedule } from './retire.js';
import { shiftSteps } from './route.js';

// Step Functions ends an execution that reaches 25,000 history events, without its Finish or
// Rollback: the lock stays held, green stays up. greenlight keeps every execution a config can
// produce under 20,000. Each loop of the state machines (found in the ASL by
// test/unit/limits.test.ts, which fails if a loop is added without a bound here) is bounded by
// the config; the rest of an execution visits each state a few times at most.

export const HISTORY_LIMIT = 25_000;
export const HISTORY_BUDGET = 20_000;

/** Events a state adds each time it is entered: entry and exit, and a Lambda task's Scheduled, Started, Succeeded. */
const TASK = 5;
const CHOICE = 2;
const WAIT = 2;
const PASS = 2;
/** The states outside loops, each entered at most twice (e.g. a Retarget after a lock wait). */
export const FIXED_EVENTS = 400;
/** Retried task attempts (3 events each) an execution may need besides: throttles, crashes, timeouts. */
export const RETRY_ALLOWANCE = 3_000;

/** Plans made again when the route moved between Plan and PrepareGreen (ReplansLeft? in the ASL). */
export const REPLANS = 3;

export interface Loop {
  machine: 'release' | 'capacity';
  /** The states of the cycle, as in the ASL. */
  states: string[];
  /** Events per pass through it. */
  eventsPerPass: number;
  /** The most passes an app's config allows. */
  passes: (app: AppConfig) => number;
  /** The config fields that bound it (named in the error). */
  bound: string;
}

/**
 * A waiting release asks again after a Step Functions Wait that grows with how long it has
 * waited: poll × 3 at first, a tenth of the time waited so far, at most 5 minutes. A day behind
 * an approval gate costs about 350 waits, not 5,600.
 */
export function lockWaitSeconds(pollSeconds: number, waitedSeconds: number): number {
  const base = Math.max(5, Math.min(30, pollSeconds * 3));
  return Math.min(300, Math.max(base, Math.round(waitedSeconds / 10)));
}

/** How many lock waits cover `seconds` (each wait plus about a second for the lock step). */
export function lockWaitPasses(pollSeconds: number, seconds: number): number {
  let t = 0;
  let n = 0;
  while (t < seconds) {
    t += lockWaitSeconds(pollSeconds, t) + 1;
    n++;
  }
  return n;
}

const bakes = (app: AppConfig) => (!isRouted(app) ? 0 : shiftSteps(app.traffic).reduce((n, s) => n + s.bakeSeconds, 0));
const approvalSeconds = (app: AppConfig) => (isRouted(app) && app.approval ? app.approval.timeoutMinutes * 60 : 0);

/** The longest another release of the app can hold its lock (its lease, renewed once). */
export function longestLockHold(app: AppConfig): number {
  return 2 * leaseSeconds({ timeoutSeconds: app.health.timeoutSeconds, totalBakeSeconds: bakes(app) + approvalSeconds(app) });
}

export const LOOPS: Loop[] = [
  {
    machine: 'release',
    states: ['Acquire', 'Locked?', 'WaitForLock'],
    eventsPerPass: TASK + CHOICE + WAIT,
    passes: (app) => lockWaitPasses(app.health.pollSeconds, longestLockHold(app)),
    bound: 'health.timeoutSeconds, traffic bakes and approval.timeoutMinutes (how long another release may hold the lock)',
  },
  {
    // Planning and preparing green, planned again (at most REPLANS times) when the route moved
    // in between; ECS on EC2 waits for green's capacity inside it (each plan may wait anew).
    // Counted per pass as a capacity poll; a replan's own states are a few such passes more.
    machine: 'release',
    states: ['Plan', 'AlreadyLive?', 'PrepareCapacity', 'WaitForCapacity', 'CheckCapacity', 'CapacityReady?', 'PrepareGreen', 'Replan?', 'ReplansLeft?', 'FirstReplan', 'CountReplan', 'ReplanWait'],
    eventsPerPass: TASK + CHOICE + WAIT,
    passes: (app) => {
      const capacity = 'capacity' in app && app.capacity === 'ec2' ? Math.ceil(app.health.timeoutSeconds / app.health.pollSeconds) + 1 : 0;
      const replanPass = Math.ceil((3 * TASK + 4 * CHOICE + PASS + WAIT) / (TASK + CHOICE + WAIT));
      return (REPLANS + 1) * capacity + REPLANS * replanPass;
    },
    bound: 'health.timeoutSeconds / health.pollSeconds (green capacity), at most 3 replans',
  },
  {
    machine: 'release',
    states: ['WaitForGreen', 'CheckGreen', 'GreenReady?'],
    eventsPerPass: TASK + CHOICE + WAIT,
    // Plus, for ECS, one look a second for at most one poll period while its rollout settles.
    passes: (app) => Math.ceil(app.health.timeoutSeconds / app.health.pollSeconds) + 1 + (app.kind === 'ecs' ? Math.ceil(app.health.pollSeconds) : 0),
    bound: 'health.timeoutSeconds / health.pollSeconds',
  },
  {
    // Each traffic step, then its bake, watched: a health look at most every health.pollSeconds
    // (once per the target group's unhealthy window, src/core/green-timing.ts) until it is over.
    // Counted per pass as its largest (a switch and its first look).
    machine: 'release',
    states: ['SwitchTraffic', 'Shifted?', 'Bake', 'BakeCheck', 'BakeLeft?', 'BakeRest'],
    eventsPerPass: TASK + CHOICE + TASK + CHOICE,
    passes: (app) => (!isRouted(app) ? 1 : shiftSteps(app.traffic).reduce((n, st) => n + Math.ceil(st.bakeSeconds / app.health.pollSeconds) + 2, 0)),
    bound: 'traffic steps and bakeSeconds / health.pollSeconds (the bake is watched)',
  },
  {
    machine: 'release',
    states: ['RetireStep', 'Retired?', 'YieldWhileWarm', 'RetireWait', 'Reclaim', 'StillOwner?'],
    eventsPerPass: 3 * TASK + 2 * CHOICE + WAIT,
    passes: (app) => {
      if (!isRouted(app)) return 2;
      const steps = retireSchedule(app.retire, 1, 1000).length;
      const holds = app.retire.holdWhileAlarm.length ? Math.ceil((app.retire.maxHoldMinutes * 60) / 60) * Math.max(1, steps - 1) : 0;
      return steps + holds;
    },
    bound: 'retire.steps and retire.maxHoldMinutes (a hold re-checks every minute)',
  },
  {
    machine: 'capacity',
    states: ['WaitForJoin', 'JoinCheck', 'Joined?'],
    eventsPerPass: TASK + CHOICE + WAIT,
    // Plus one look a second for at most one poll period past the predicted join (nextJoinCheckAt).
    passes: (app) => ('scaling' in app && app.scaling ? Math.ceil(app.scaling.joinTimeoutSeconds / app.scaling.pollSeconds) + 1 + Math.ceil(app.scaling.pollSeconds) : 0),
    bound: 'scaling.joinTimeoutSeconds / scaling.pollSeconds',
  },
  {
    machine: 'capacity',
    states: ['WaitForDrain', 'DrainCheck', 'Drained?'],
    eventsPerPass: TASK + CHOICE + WAIT,
    // The same loop first holds the instance for a launching replacement (at most holdSeconds), then drains it.
    passes: (app) => ('scaling' in app && app.scaling ? Math.ceil((holdSeconds(app.scaling) + app.scaling.drainTimeoutSeconds) / app.scaling.pollSeconds) + 2 : 0),
    bound: '(scaling.joinTimeoutSeconds + scaling.drainTimeoutSeconds) / scaling.pollSeconds: a hold for the replacement, then the drain',
  },
];

export interface WorstCase {
  machine: 'release' | 'capacity';
  events: number;
  /** The loops' share, largest first (what to change). */
  loops: { states: string[]; passes: number; events: number; bound: string }[];
}

/** The most history events one execution of each state machine can write for this app (with RETRY_ALLOWANCE). */
export function worstCaseEvents(app: AppConfig): WorstCase[] {
  return (['release', 'capacity'] as const).map((machine) => {
    const loops = LOOPS.filter((l) => l.machine === machine)
      .map((l) => ({ states: l.states, passes: l.passes(app), events: l.passes(app) * l.eventsPerPass, bound: l.bound }))
      .filter((l) => l.passes > 0)
      .sort((a, b) => b.events - a.events);
    return { machine, events: FIXED_EVENTS + RETRY_ALLOWANCE + loops.reduce((n, l) => n + l.events, 0) + PASS, loops };
  });
}

/** Why this app's config could make an execution pass the budget, or null. */
export function historyProblem(app: AppConfig): string | null {
  for (const w of worstCaseEvents(app)) {
    if (w.events <= HISTORY_BUDGET) continue;
    const top = w.loops[0];
    return `its ${w.machine} executions could write ${w.events} Step Functions history events (the limit is ${HISTORY_LIMIT}; greenlight keeps under ${HISTORY_BUDGET}): ${top.passes} passes through ${top.states.join(' → ')} (${top.bound}); shorten that wait or poll less often`;
  }
  return null;
}
