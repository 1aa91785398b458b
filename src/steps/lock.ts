import { readLock, writeLock } from '../aws/dynamodb.js';
import { type Claimant, acquired, decideAcquire, type LockState, leaseSeconds, released, waiting } from '../core/lock.js';
import type { Release, Settings } from '../core/release.js';
import { shiftSteps } from '../core/route.js';
import type { Deps } from './deps.js';
import { startHistory, tell } from './record.js';

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
}

/** A write that loses a race is read and decided again, at most this many times per call. */
const CAS_ATTEMPTS = 4;

export async function lockStep(deps: Deps, input: LockInput) {
  const { release, execution } = input;
  const me: Claimant = { execution: execution.id, since: Date.parse(execution.startTime), version: release.version };
  const now = Math.floor(deps.now().getTime() / 1000);
  const lease = now + leaseFor(deps, input);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const lock = await readLock(deps.clients.dynamodb, deps.env.table, release.app);
    const r = await decide(deps, input, lock, me, now, lease);
    if (r) return r;
  }
  // Somebody wrote between every read and write: ask again after a poll.
  return { state: 'waiting' as const, waitSeconds: input.settings.pollSeconds, owner: 'contended' };
}

async function decide(deps: Deps, input: LockInput, lock: LockState, me: Claimant, now: number, lease: number) {
  const { dynamodb } = deps.clients;
  const { table } = deps.env;
  const app = input.release.app;
  const write = (next: LockState) => writeLock(dynamodb, table, app, lock.rev, next);
  if (input.op === 'warm' || input.op === 'reclaim') {
    // Only the owner changes its phase; an owner that lost the lock leaves everything as it is.
    if (lock.owner !== me.execution) return { owned: false, owner: lock.owner ?? null };
    const phase = input.op === 'warm' ? 'warm' : 'retiring';
    return (await write({ ...lock, rev: lock.rev + 1, phase, leaseUntil: lease })) ? { owned: true } : null;
  }
  const d = decideAcquire(lock, me, now);
  if (d.decision === 'superseded') return { state: 'superseded' as const, by: d.by, byVersion: d.byVersion ?? null };
  if (d.decision === 'wait') {
    if (lock.waiter !== me.execution && !(await write(waiting(lock, me)))) return null;
    return { state: 'waiting' as const, waitSeconds: waitSeconds(input.settings), owner: d.owner, ownerVersion: d.ownerVersion ?? null };
  }
  if (!(await write(acquired(lock, me, lease)))) return null;
  if (d.why !== 'mine') {
    // First time this execution holds the lock: the release has started.
    await startHistory(deps, input.release, input.execution);
    await tell(deps, { event: 'started', release: input.release, execution: input.execution });
  }
  return { state: 'acquired' as const, why: d.why, ...(d.why === 'lease-expired' || d.why === 'owner-keeping-warm' ? { tookOverFrom: lock.owner } : {}) };
}

/** Let go of the lock if this execution holds it (a waiter stays registered). */
export async function releaseLock(deps: Deps, app: string, executionId: string): Promise<boolean> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const lock = await readLock(deps.clients.dynamodb, deps.env.table, app);
    if (lock.owner !== executionId) return false;
    if (await writeLock(deps.clients.dynamodb, deps.env.table, app, lock.rev, released(lock))) return true;
  }
  return false;
}

function leaseFor(deps: Deps, input: LockInput): number {
  const app = deps.config.apps[input.release.app];
  const bakes = app && app.kind !== 'eip' ? shiftSteps(app.traffic).reduce((n, s) => n + s.bakeSeconds, 0) : 0;
  // The keep-warm window is not covered: an owner in it yields to any newer release. The
  // approval gate is: a release waiting for approval keeps the lock.
  return leaseSeconds({ timeoutSeconds: input.settings.timeoutSeconds, totalBakeSeconds: bakes + (input.settings.approvalTimeoutSeconds ?? 0) });
}

/** A waiting release asks again this often (Step Functions Wait, no Lambda sleeps). */
function waitSeconds(settings: Settings): number {
  return Math.max(5, Math.min(30, settings.pollSeconds * 3));
}
