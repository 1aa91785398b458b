import { realTimers, type VirtualClock } from '../sim/clock.js';

/**
 * The scheduler's view of concurrent work (executions, Lambda invocations, operator commands).
 * Everything in a simulation waits on the virtual clock or on promises, never on real I/O, so
 * once the microtask queue has drained nothing can happen until the next timer: jumping to it
 * is exact.
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

  /** Let every microtask run (a real macrotask turn drains the queue; two turns for chains through setImmediate). */
  async settle(): Promise<void> {
    for (let i = 0; i < 2; i++) await new Promise<void>((r) => realTimers.setImmediate(r));
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
