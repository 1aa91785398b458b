// One release per app at a time. The lock is one item per app (owner execution, lease, phase,
// and at most one waiter); every change to it is a compare-and-set on its revision, so two
// executions that read the same state cannot both act on it. These are the pure decisions.

export type LockPhase = 'running' | 'warm' | 'retiring';

export interface LockState {
  /** Bumped by every write; the compare-and-set condition. 0 when the item does not exist. */
  rev: number;
  owner?: string;
  /** The owner's execution start, epoch ms: "newer" means started later. */
  ownerSince?: number;
  ownerVersion?: string;
  /** The owner's action (release, rollback, retire, ...). */
  ownerAction?: string;
  /** Epoch seconds; a crashed owner loses the lock when its lease has passed. */
  leaseUntil?: number;
  phase?: LockPhase;
  waiter?: string;
  waiterSince?: number;
  waiterVersion?: string;
  /** The owner waits for approval with this Step Functions task token. */
  approvalToken?: string;
  /** Epoch seconds: until then a route write of the owner may be in flight (the guard then asks, it does not stop). */
  switching?: number;
  /** The guard asked the owner to roll back (an alarm fired while its route write was in flight). */
  abortBy?: string;
  abortReason?: string;
  /** While the guard holds the lock: the release it took it from (its retry resumes from here). */
  guardedOwner?: string;
  guardedVersion?: string;
  /**
   * The newest release that ever took the lock (its upload time, or a hand-typed action's start)
   * and its execution: kept when the lock is let go, so an older upload whose turn comes after a
   * newer one took the lock (and failed, or finished) is superseded, never deployed over it.
   */
  newestSince?: number;
  newestOwner?: string;
  newestVersion?: string;
  /**
   * The owner has begun a write to the route. A read of the route may be stale (ELB's API is
   * eventually consistent), so whoever undoes this owner's release writes the route back rather
   * than trust a read that shows it back already. Not a copy of which colour is live.
   */
  routeWritten?: boolean;
  /**
   * The colour the owner's route writes bring up (its plan's idle colour, the new version's),
   * set by each of them: the guard reads which colour to flip away from here, without reading
   * every colour's pin (the EC2 SDK, in its cold start). What the owner deploys, not which
   * colour is live (that is read from the load balancer).
   */
  ownerColour?: 'blue' | 'green';
  /** Epoch seconds: when the owner's latest route write was read back (a step's bake counts from here; for status). */
  routeLandedAt?: number;
  /** Epoch seconds: the end of the old colour's current keep-warm step (for status; the state machine keeps the time). */
  warmUntil?: number;
  /** `greenlight abort` let go of the lock held by this execution (a local run-local execution, which StopExecution cannot reach, stops itself on reading it). */
  abortedOwner?: string;
}

export interface Claimant {
  execution: string;
  since: number;
  version: string;
  /** release, rollback, retire, ... (a guard alarm leaves a running rollback alone). */
  action?: string;
}

export type LockDecision =
  | { decision: 'acquire'; why: 'free' | 'mine' | 'lease-expired' | 'owner-keeping-warm' }
  | { decision: 'wait'; owner: string; ownerVersion?: string }
  | { decision: 'superseded'; by: string; byVersion?: string };

/**
 * What a release that wants the lock does now. Only the newest waiting release proceeds:
 * an older one ends as superseded. An owner that only keeps its old colour warm yields at
 * once (its retire step notices it lost the lock and leaves the colour to the newer release).
 */
export function decideAcquire(lock: LockState, me: Claimant, nowSeconds: number): LockDecision {
  if (lock.owner === me.execution) return { decision: 'acquire', why: 'mine' };
  if ((lock.newestSince ?? 0) > me.since && lock.newestOwner && lock.newestOwner !== me.execution) return { decision: 'superseded', by: lock.newestOwner, byVersion: lock.newestVersion };
  if (lock.owner && (lock.ownerSince ?? 0) > me.since) return { decision: 'superseded', by: lock.owner, byVersion: lock.ownerVersion };
  if (lock.waiter && lock.waiter !== me.execution && (lock.waiterSince ?? 0) > me.since)
    return { decision: 'superseded', by: lock.waiter, byVersion: lock.waiterVersion };
  if (!lock.owner) return { decision: 'acquire', why: 'free' };
  if ((lock.leaseUntil ?? 0) < nowSeconds) return { decision: 'acquire', why: 'lease-expired' };
  if (lock.phase === 'warm') return { decision: 'acquire', why: 'owner-keeping-warm' };
  return { decision: 'wait', owner: lock.owner, ownerVersion: lock.ownerVersion };
}

/** The lock after `me` takes it (a waiter that is `me`, or older, is cleared). */
export function acquired(lock: LockState, me: Claimant, leaseUntil: number): LockState {
  const keepWaiter = lock.waiter && lock.waiter !== me.execution && (lock.waiterSince ?? 0) > me.since;
  const newest = (lock.newestSince ?? Number.NEGATIVE_INFINITY) > me.since ? { newestSince: lock.newestSince, newestOwner: lock.newestOwner, newestVersion: lock.newestVersion } : { newestSince: me.since, newestOwner: me.execution, newestVersion: me.version };
  return {
    rev: lock.rev + 1,
    ...newest,
    owner: me.execution,
    ownerSince: me.since,
    ownerVersion: me.version,
    ...(me.action ? { ownerAction: me.action } : {}),
    leaseUntil,
    phase: 'running',
    ...(keepWaiter ? { waiter: lock.waiter, waiterSince: lock.waiterSince, waiterVersion: lock.waiterVersion } : {}),
  };
}

/** The lock with `me` registered as the (newest) waiter. */
export function waiting(lock: LockState, me: Claimant): LockState {
  return { ...lock, rev: lock.rev + 1, waiter: me.execution, waiterSince: me.since, waiterVersion: me.version };
}

/** `greenlight abort` let go of the lock: released, naming the execution it took it from. */
export function abortedLock(lock: LockState): LockState {
  return { ...released(lock), abortedOwner: lock.owner };
}

/** The lock after its owner lets go; a waiter stays registered (and the newest release that took it). */
export function released(lock: LockState): LockState {
  const { owner: _o, ownerSince: _s, ownerVersion: _v, ownerAction: _a, leaseUntil: _l, phase: _p, approvalToken: _t, switching: _w, abortBy: _b, abortReason: _r, guardedOwner: _g, guardedVersion: _gv, routeWritten: _rw, routeLandedAt: _rl, ownerColour: _oc, warmUntil: _wu, ...rest } = lock;
  return { ...rest, rev: lock.rev + 1 };
}

/**
 * How long an owner may go without renewing before another release may take over: the longest
 * stretch between two lock steps (capacity and health waits, every bake, and slack for retries).
 */
export function leaseSeconds(s: { timeoutSeconds: number; totalBakeSeconds: number }): number {
  return 2 * s.timeoutSeconds + s.totalBakeSeconds + 900;
}

/** How long a route write is taken to be in flight at most: two Lambda timeouts (30 s each). */
export const SWITCH_WINDOW_SECONDS = 60;

/** Before a route write: the owner marks it in flight (or learns it lost the lock, or that the guard asked it to roll back). */
export function beforeRouteWrite(
  lock: LockState,
  me: string,
  nowSeconds: number,
  rollingBack: boolean,
  colour?: 'blue' | 'green',
): { next?: LockState; result: 'write' | 'lost' | 'abort' } {
  if (lock.owner !== me) return { result: 'lost' };
  if (lock.abortBy && !rollingBack) return { result: 'abort' };
  return { next: { ...lock, rev: lock.rev + 1, switching: nowSeconds + SWITCH_WINDOW_SECONDS, routeWritten: true, ...(colour ? { ownerColour: colour } : {}) }, result: 'write' };
}

/** After a route write has landed (read back): no longer in flight; did the guard ask for a rollback meanwhile? */
export function afterRouteWrite(lock: LockState, me: string, nowSeconds: number): { next?: LockState; result: 'ok' | 'lost' | 'abort' } {
  if (lock.owner !== me) return { result: 'lost' };
  const { switching: _w, ...rest } = lock;
  return { next: { ...rest, rev: lock.rev + 1, routeLandedAt: nowSeconds }, result: lock.abortBy ? 'abort' : 'ok' };
}

/** What the guard does with a release that holds the lock: take it over, or (a write in flight) ask it to roll back itself. */
export function guardTakeover(
  lock: LockState,
  guard: string,
  nowSeconds: number,
  reason: string,
  seen?: { owner: string; phase?: string },
): { next?: LockState; result: 'take' | 'asked' | 'none' | 'changed' } {
  if (!lock.owner || lock.owner === guard) return { result: 'none' };
  // The guard decided on the lock as it read it (a release still shifting): if the owner or its
  // phase moved on since (it finished shifting, and its old colour is warm), decide again.
  if (seen && (lock.owner !== seen.owner || (lock.phase ?? 'running') !== (seen.phase ?? 'running'))) return { result: 'changed' };
  if (lock.switching !== undefined && lock.switching > nowSeconds)
    return lock.abortBy ? { result: 'asked' } : { next: { ...lock, rev: lock.rev + 1, abortBy: guard, abortReason: reason }, result: 'asked' };
  const { switching: _w, approvalToken: _t, ...rest } = lock;
  return {
    next: { ...rest, rev: lock.rev + 1, owner: guard, ownerVersion: `guard (${lock.ownerVersion ?? 'unknown'})`, guardedOwner: lock.owner, guardedVersion: lock.ownerVersion, leaseUntil: nowSeconds + 300, phase: 'running' },
    result: 'take',
  };
}
