import { realTimers, type VirtualClock } from '../sim/clock.js';

/**
 * The scheduler's view of concurrent work (executions, Lambda invocations, operator commands).
 * Everything in a simulation waits on the virtual clock or on promises, so once the microtask
 * queue has drained and no real I/O is in flight, nothing can happen until the next timer:
 * jumping to it is exact.
 *
 * Real I/O does happen: the AWS SDK reads ~/.aws/config and ~/.aws/credentials (the shared
 * config files) on a client's first call, and a dynamic import reads its module. A run that
 * moved the clock while such a read was in flight went on without the call that waited for it
 * (a session replay once showed its release not started yet at t=150). So `settle` also waits
 * for libuv's file system and DNS requests to finish.
 */
export class Processes {
  active = 0;
  /** Errors that ended a process (a simulation bug or an unhandled failure): reported, never lost. */
  readonly errors: Error[] = [];

  constructor(private readonly clock: VirtualClock) {}

  /** `awaited`: its caller handles its failure (a Lambda invocation's error is its task's), so it is not collected. */
  spawn<T>(fn: () => Promise<T>, opts: { awaited?: boolean } = {}): Promise<T> {
    this.active++;
    const p = (async () => fn())();
    const q = p.finally(() => {
      this.active--;
    });
    // Whoever awaits it still sees the error; a process nobody awaits must not end the run.
    q.catch((err: Error) => {
      if (!opts.awaited) this.errors.push(err);
    });
    return q;
  }

  /**
   * Let every microtask run (a real macrotask turn drains the queue; two turns for chains
   * through setImmediate) and every real file system or DNS request finish, with what it
   * resumes. A request still in flight after `ioLimitMs` of real time is reported as an error
   * (the run may not be reproducible) and no longer waited for.
   */
  async settle(ioLimitMs = 30_000): Promise<void> {
    const start = realTimers.Date.now();
    for (;;) {
      for (let i = 0; i < 2; i++) await new Promise<void>((r) => realTimers.setImmediate(r));
      const pending = realIoInFlight();
      if (!pending.length) return;
      if (realTimers.Date.now() - start > ioLimitMs) {
        this.errors.push(new Error(`real I/O still in flight after ${ioLimitMs} ms (${pending.join(', ')}): the simulation went on without it`));
        return;
      }
      await new Promise<void>((r) => realTimers.setTimeout(r, 1));
    }
  }

  /** Advance virtual time, timer by timer, until `done()` or `limit` seconds. The clock is the process's meanwhile. */
  async runUntil(done: () => boolean, limit: number): Promise<void> {
    const uninstall = this.clock.install();
    try {
      for (;;) {
        await this.settle();
        if (done()) return;
        const next = this.clock.nextAt();
        if (next === undefined || next > limit) return;
        this.clock.fireNext();
      }
    } finally {
      uninstall();
    }
  }
}

/**
 * libuv's requests of real I/O in flight: file system (a file handle's close is a `CloseReq`)
 * and DNS. Not handles: a listening server or a pipe is always there.
 */
const REAL_IO = /^(FSReq|FileHandle|CloseReq|GetAddrInfo|GetNameInfo|QueryReq)/;
export function realIoInFlight(): string[] {
  return process.getActiveResourcesInfo().filter((r) => REAL_IO.test(r));
}
