import { changeLock as changeLockItem, readLock } from '../aws/dynamodb.js';
import { AlarmFiring, LockLost, TransientAwsError } from '../core/errors.js';
import { lockWaitSeconds } from '../core/limits.js';
import { acquired, afterRouteWrite, beforeRouteWrite, type Claimant, decideAcquire, type LockState, leaseSeconds, released, waiting } from '../core/lock.js';
import type { Release, Settings } from '../core/release.js';
import { shiftSteps } from '../core/route.js';
import type { Deps } from './deps.js';
import { startHistory, tell } from './record.js';
import { isRouted } from '../core/kinds.js';

// The per-app lock around a release (see src/core/lock.ts). Step Functions does the waiting:
// `acquire` answers acquired, waiting (Wait, then ask again) or superseded, and never sleeps.

export interface Execution {
  id: string;
  startTime: string;
}

interface LockInput {
  op: 'acquire' | 'warm' | 'reclaim';
  release: Release;
  settings: Settings;
  execution: Execution;
  /** warm: how long the old colour now stays warm (the next retire step's wait), for status to show. */
  warmSeconds?: number;
}

export async function lockStep(deps: Deps, input: LockInput) {
  const { release, execution } = input;
  // "Newer" is the newer upload (an upload's event may arrive late); a hand-typed action is as new as its execution.
  const uploaded = release.trigger === 's3' && (release.action ?? 'release') === 'release' ? release.artifact.uploadedAt : undefined;
  const me: Claimant = { execution: execution.id, since: uploaded ?? Date.parse(execution.startTime), version: release.version, action: release.action ?? 'release' };
  const now = Math.floor(deps.now().getTime() / 1000);
  const lease = now + leaseFor(deps, input);
  const r = await changeLock(deps, release.app, (lock) => decide(input, lock, me, now, lease));
  // Somebody wrote between every read and write. An acquire asks again after a poll (its
  // answer has the `state` its Choice reads); a phase change is a failure the state's Retry
  // repeats (an answer without `owned` would make its Choice fail with States.Runtime).
  if (r === undefined) {
    if (input.op === 'warm' || input.op === 'reclaim') throw new TransientAwsError(`${release.app}'s lock changed during every attempt to set its phase: trying again`);
    return { state: 'waiting' as const, waitSeconds: input.settings.pollSeconds, owner: 'contended' };
  }
  if ('state' in r && r.state === 'acquired' && r.why !== 'mine') {
    // First time this execution holds the lock: the release has started.
    await startHistory(deps, release, execution);
    await tell(deps, { event: 'started', release, execution });
  }
  return r;
}

type LockResult =
  | { owned: boolean; owner?: string | null }
  | { state: 'superseded'; by: string; byVersion: string | null }
  | { state: 'waiting'; waitSeconds: number; owner: string; ownerVersion: string | null }
  | { state: 'acquired'; why: 'free' | 'mine' | 'lease-expired' | 'owner-keeping-warm'; tookOverFrom?: string };

/** What this lock step does with the lock as read: the result, and the lock to write (if any). */
function decide(input: LockInput, lock: LockState, me: Claimant, now: number, lease: number): { next?: LockState; result: LockResult } {
  if (input.op === 'warm' || input.op === 'reclaim') {
    // Only the owner changes its phase; an owner that lost the lock leaves everything as it is.
    if (lock.owner !== me.execution) return { result: { owned: false, owner: lock.owner ?? null } };
    const phase = input.op === 'warm' ? 'warm' : 'retiring';
    const { warmUntil: _w, ...rest } = lock;
    const warmUntil = input.op === 'warm' && input.warmSeconds !== undefined ? { warmUntil: now + Math.round(input.warmSeconds) } : {};
    return { next: { ...rest, rev: lock.rev + 1, phase, leaseUntil: lease, ...warmUntil }, result: { owned: true } };
  }
  const d = decideAcquire(lock, me, now);
  if (d.decision === 'superseded') return { result: { state: 'superseded' as const, by: d.by, byVersion: d.byVersion ?? null } };
  if (d.decision === 'wait') {
    const result = { state: 'waiting' as const, waitSeconds: lockWaitSeconds(input.settings.pollSeconds, now - Math.floor(Date.parse(input.execution.startTime) / 1000)), owner: d.owner, ownerVersion: d.ownerVersion ?? null };
    return lock.waiter === me.execution ? { result } : { next: waiting(lock, me), result };
  }
  const tookOver = d.why === 'lease-expired' || d.why === 'owner-keeping-warm' ? { tookOverFrom: lock.owner } : {};
  return { next: acquired(lock, me, lease), result: { state: 'acquired' as const, why: d.why, ...tookOver } };
}

/** The app's lock changed through the table adapter's one compare-and-set loop (src/aws/dynamodb.ts). */
export function changeLock<T>(deps: Deps, app: string, change: (lock: LockState) => { next?: LockState; result: T }, known?: LockState): Promise<T | undefined> {
  return changeLockItem(deps.clients.dynamodb, deps.env.table, app, change, known);
}

/** Let go of the lock if this execution holds it (a waiter stays registered). */
export async function releaseLock(deps: Deps, app: string, executionId: string): Promise<boolean> {
  const r = await changeLock(deps, app, (lock) => (lock.owner === executionId ? { next: released(lock), result: true } : { result: false }));
  // Every attempt lost a race: not "not the owner". Fail, so that the state's Retry tries again.
  if (r === undefined) throw new TransientAwsError(`${app}'s lock changed during every attempt to let go of it: trying again`);
  return r;
}

function leaseFor(deps: Deps, input: LockInput): number {
  const app = deps.config.apps[input.release.app];
  const bakes = app && isRouted(app) ? shiftSteps(app.traffic).reduce((n, s) => n + s.bakeSeconds, 0) : 0;
  // The keep-warm window is not covered: an owner in it yields to any newer release. The
  // approval gate is: a release waiting for approval keeps the lock.
  return leaseSeconds({ timeoutSeconds: input.settings.timeoutSeconds, totalBakeSeconds: bakes + (input.settings.approvalTimeoutSeconds ?? 0) });
}

/**
 * A write to the app's production route, fenced by the lock: just before it, the execution must
 * still own the lock (and mark the write in flight); just after its read-back, it learns whether
 * the guard asked for a rollback meanwhile. A guard alarm during an in-flight write therefore
 * never races it: the guard asks, and the writer rolls back itself, holding the lock throughout.
 */
export async function fencedRouteWrite<T>(
  deps: Deps,
  app: string,
  executionId: string | undefined,
  opts: { rollingBack: boolean; /** The colour the release brings up (its plan's idle colour). */ colour: 'blue' | 'green' },
  write: () => Promise<T>,
): Promise<T> {
  if (!executionId) return write();
  const now = Math.floor(deps.now().getTime() / 1000);
  const pre = await changeLock(deps, app, (lock) => beforeRouteWrite(lock, executionId, now, opts.rollingBack, opts.colour));
  if (pre === 'lost' || pre === undefined) throw new LockLost(`this execution no longer holds ${app}'s lock: not changing its route`);
  if (pre === 'abort') throw new AlarmFiring(await abortReason(deps, app));
  const out = await write();
  const post = await changeLock(deps, app, (lock) => afterRouteWrite(lock, executionId, Math.floor(deps.now().getTime() / 1000)));
  if (post === 'abort' && !opts.rollingBack) throw new AlarmFiring(await abortReason(deps, app));
  return out;
}

async function abortReason(deps: Deps, app: string): Promise<string> {
  const lock = await readLock(deps.clients.dynamodb, deps.env.table, app);
  return `${lock.abortReason ?? 'the guard asked for a rollback'}: rolling back`;
}
