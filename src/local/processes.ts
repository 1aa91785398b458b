import type { VirtualClock } from '../sim/clock.js';

/**
 * The scheduler's view of concurrent work (executions, Lambda invocations). Virtual time may
 * advance only when every live process is blocked in a virtual sleep: then nothing can
 * happen until the next timer, so jumping to it is exact.
 */
export class Processes {
  active = 0;

  constructor(private readonly clock: VirtualClock) {}

  spawn<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    const p = (async () => fn())();
    return p.finally(() => {
      this.active--;
    });
  }

  /** Let microtasks and zero-delay timers run until every process is blocked or done. */
  async settle(): Promise<void> {
    const started = Date.now();
    let spins = 0;
    while (this.active > this.clock.sleeping) {
      await new Promise((r) => (++spins % 1000 === 0 ? setTimeout(r, 0) : setImmediate(r)));
      if (Date.now() - started > 30_000)
        throw new Error(`simulation stalled at t=${this.clock.now.toFixed(1)}s: ${this.active} processes, ${this.clock.sleeping} sleeping`);
    }
  }

  /** Advance virtual time, timer by timer, until `done()` or `limit` seconds. */
  async runUntil(done: () => boolean, limit: number): Promise<void> {
    for (;;) {
      await this.settle();
      if (done()) return;
      const next = this.clock.nextAt();
      if (next === undefined || next > limit) return;
      this.clock.fireNext();
    }
  }
}
