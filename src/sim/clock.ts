import { createClock } from '@sinonjs/fake-timers';

// Virtual time in seconds since the simulation began, kept by @sinonjs/fake-timers. While a
// simulation is being driven, the process's setTimeout, clearTimeout, setInterval,
// clearInterval, Date and Math.random are those of this clock (see `install`), so everything
// that keeps time with them runs in virtual time unchanged: aws-local-stepfunctions' Wait
// states, retry intervals and task timeouts, the AWS SDK's retry backoff, the simulated
// account's own timers. Nothing here sleeps for real: timers fire when the driver advances the
// clock, in time order (ties in scheduling order).
//
// A clock made with `{ real: true }` is a plain view of the wall clock (run-local against AWS).

export const SIM_EPOCH_MS = Date.parse('2026-01-05T09:00:00Z');

type FakeClock = ReturnType<typeof createClock> & { timerHeap?: { peek: () => { callAt?: number } | undefined } };
type TimerFn = (fn: () => void, ms: number) => unknown;

const REAL = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  Date: globalThis.Date,
  random: Math.random,
};

/** The host's own timers and Date, whatever is installed (for the driver and wall-clock measures). */
export const realTimers = REAL;

/** The clock whose timers are installed in this process, if any (one simulation is driven at a time). */
let installed: { clock: VirtualClock; depth: number } | null = null;

export class VirtualClock {
  private readonly fake: FakeClock | null;
  private readonly setTimer: TimerFn;
  private readonly clearTimer: (id: unknown) => void;
  private readonly random: () => number;

  /**
   * `epochMs`: the wall-clock instant of virtual time 0. `seed`: the seed of Math.random while
   * installed (the SDK's retry jitter and Step Functions' JitterStrategy FULL use it).
   */
  constructor(
    private readonly epochMs = SIM_EPOCH_MS,
    opts: { real?: boolean; seed?: number } = {},
  ) {
    if (opts.real) {
      this.fake = null;
      this.setTimer = (fn, ms) => REAL.setTimeout(fn, ms);
      this.clearTimer = (id) => REAL.clearTimeout(id as ReturnType<typeof setTimeout>);
    } else {
      this.fake = createClock(epochMs, 100_000) as FakeClock;
      const f = this.fake;
      this.setTimer = (fn, ms) => f.setTimeout(fn, ms);
      this.clearTimer = (id) => f.clearTimeout(id as never);
    }
    this.random = mulberry32(opts.seed ?? 20261201);
  }

  /** Seconds since virtual time 0. */
  get now(): number {
    return ((this.fake ? this.fake.now : REAL.Date.now()) - this.epochMs) / 1000;
  }

  at(time: number, fn: () => void): unknown {
    return this.after(time - this.now, fn);
  }

  after(seconds: number, fn: () => void): unknown {
    return this.setTimer(fn, Math.round(Math.max(0, seconds) * 1000));
  }

  cancel(timer: unknown): void {
    this.clearTimer(timer);
  }

  /** Sleep in virtual time; an aborted sleep rejects at once. */
  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.clearTimer(timer);
        reject(signal!.reason);
      };
      const timer = this.after(seconds, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Virtual time of the earliest pending timer. */
  nextAt(): number | undefined {
    if (!this.fake) return undefined;
    const t = this.fake.timerHeap?.peek();
    return t?.callAt === undefined ? undefined : (t.callAt - this.epochMs) / 1000;
  }

  /** Fire the earliest timer (the clock moves to its time). */
  fireNext(): void {
    this.fake?.next();
  }

  date(): Date {
    return this.dateAt(this.now);
  }

  /** The wall-clock instant of virtual time `t` (seconds). */
  dateAt(t: number): Date {
    return new REAL.Date(this.epochMs + Math.round(t * 1000));
  }

  /** "02:31" style offset for timelines. */
  stamp(t = this.now): string {
    const s = Math.floor(t);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }

  /**
   * Make this clock the process's: setTimeout & co., Date and Math.random. Re-entrant for the
   * same clock; returns the function that undoes it. One simulation is installed at a time in
   * a process: installing another one ends the first's.
   */
  install(): () => void {
    if (!this.fake) return () => {};
    // A simulation left installed (its session was abandoned) gives way to this one.
    if (installed && installed.clock !== this) restoreHost();
    if (installed) installed.depth++;
    else {
      installed = { clock: this, depth: 1 };
      const f = this.fake;
      useTimers({ setTimeout: f.setTimeout, clearTimeout: f.clearTimeout, setInterval: f.setInterval, clearInterval: f.clearInterval, Date: f.Date, random: this.random });
    }
    const mine = installed;
    let undone = false;
    return () => {
      if (undone || installed !== mine) return;
      undone = true;
      if (--mine.depth > 0) return;
      restoreHost();
    };
  }
}

function restoreHost(): void {
  installed = null;
  useTimers(REAL);
}

/** Make these the process's timers, Date and Math.random. */
function useTimers(t: { setTimeout: unknown; clearTimeout: unknown; setInterval: unknown; clearInterval: unknown; Date: unknown; random: () => number }): void {
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = t.setTimeout;
  g.clearTimeout = t.clearTimeout;
  g.setInterval = t.setInterval;
  g.clearInterval = t.clearInterval;
  g.Date = t.Date;
  Math.random = t.random;
}

/** A small seeded PRNG (mulberry32): runs are reproducible, jitter included. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
