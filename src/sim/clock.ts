// Virtual time in seconds since the simulation began. Nothing here sleeps for real: timers
// fire when the driver advances the clock, in time order (ties in scheduling order).

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export const SIM_EPOCH_MS = Date.parse('2026-01-05T09:00:00Z');

export class VirtualClock {
  now = 0;
  /** Promises currently blocked in sleep(); the driver advances time only when every process is. */
  sleeping = 0;
  private seq = 0;
  private heap: Timer[] = [];

  /** `epochMs`: the wall-clock instant of virtual time 0 (run-local drives the clock in real time). */
  constructor(private readonly epochMs = SIM_EPOCH_MS) {}

  at(time: number, fn: () => void): void {
    const t: Timer = { at: Math.max(time, this.now), seq: this.seq++, fn };
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  after(seconds: number, fn: () => void): void {
    this.at(this.now + Math.max(0, seconds), fn);
  }

  /** Sleep in virtual time; an aborted sleep stops counting as a sleeper at once and rejects. */
  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeping++;
    return new Promise((resolve, reject) => {
      let done = false;
      const onAbort = () => {
        if (done) return;
        done = true;
        this.sleeping--;
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.after(seconds, () => {
        if (done) return;
        done = true;
        this.sleeping--;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Fire the earliest timer. */
  fireNext(): void {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    this.now = top.at;
    top.fn();
  }

  date(): Date {
    return new Date(this.epochMs + Math.round(this.now * 1000));
  }

  /** "02:31" style offset for timelines. */
  stamp(t = this.now): string {
    const s = Math.floor(t);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }
}

function less(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
