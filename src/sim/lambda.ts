import { AsyncLocalStorage } from 'node:async_hooks';
import type { VirtualClock } from './clock.js';

// Lambda invocations in virtual time. Each function keeps a pool of execution environments:
// an invocation takes an idle warm one, or starts a new one (a cold start: init before the
// handler runs). An environment serves one invocation at a time and is reclaimed after it has
// been idle for `idleSeconds`. After the handler, `durationSeconds` more pass (its own compute
// and the platform's round trip). An invocation that runs past the function's timeout ends
// with Sandbox.Timedout: what it did until then stays done, anything it would do afterwards
// never happens (its later AWS calls never leave the frozen sandbox).

export interface LambdaPhysics {
  coldStartSeconds: number;
  durationSeconds: number;
  idleSeconds: number;
}

/** The invocation a piece of code runs in (the transport reads it to label, time and fence calls). */
export interface Invocation {
  fn: string;
  requestId: string;
  /** The Step Functions execution that invoked it, if any. */
  executionArn?: string;
  startedAt: number;
  cold: boolean;
  /** The sandbox was frozen (timeout, crash): nothing it does from now on takes effect. */
  frozen: boolean;
  /** End the invocation at once with this error (the runtime died: no catch block of the handler runs on). */
  kill?: (err: Error) => void;
}

export const currentInvocation = new AsyncLocalStorage<Invocation>();

/** The error name Lambda reports for a function that ran out of time. */
export class LambdaTimeout extends Error {
  override readonly name = 'Sandbox.Timedout';
}

export interface InvocationRecord {
  fn: string;
  t: number;
  seconds: number;
  cold: boolean;
  timedOut: boolean;
  executionArn?: string;
}

export class LambdaService {
  readonly invocations: InvocationRecord[] = [];
  /** Per function: when each idle environment became idle. */
  private idle = new Map<string, number[]>();
  private seq = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly physics: LambdaPhysics,
    /** The function's configured timeout, seconds (serverless.yml). */
    private readonly timeoutOf: (fn: string) => number,
  ) {}

  async invoke<T>(fn: string, run: () => Promise<T>, meta: { executionArn?: string; requestId?: string } = {}): Promise<T> {
    const now = this.clock.now;
    const pool = (this.idle.get(fn) ?? []).filter((since) => now - since <= this.physics.idleSeconds);
    const cold = pool.length === 0;
    if (!cold) pool.pop();
    this.idle.set(fn, pool);
    const inv: Invocation = { fn, requestId: meta.requestId ?? `${fn}-${++this.seq}`, executionArn: meta.executionArn, startedAt: now, cold, frozen: false };
    const record: InvocationRecord = { fn, t: now, seconds: 0, cold, timedOut: false, ...(meta.executionArn ? { executionArn: meta.executionArn } : {}) };
    this.invocations.push(record);
    const timeout = this.timeoutOf(fn);
    const body = currentInvocation.run(inv, async () => {
      if (cold) await this.clock.sleep(this.physics.coldStartSeconds);
      const out = await run();
      await this.clock.sleep(this.physics.durationSeconds);
      return out;
    });
    const killed = new Promise<never>((_, reject) => {
      inv.kill = (err) => {
        inv.frozen = true;
        reject(err);
      };
    });
    let timer: unknown;
    const expired = new Promise<never>((_, reject) => {
      timer = this.clock.after(timeout, () => {
        inv.frozen = true;
        reject(new LambdaTimeout(`Task timed out after ${timeout.toFixed(2)} seconds`));
      });
    });
    try {
      return await Promise.race([body, expired, killed]);
    } finally {
      this.clock.cancel(timer);
      body.catch(() => {});
      expired.catch(() => {});
      killed.catch(() => {});
      record.seconds = Math.round((this.clock.now - now) * 1000) / 1000;
      record.timedOut = inv.frozen;
      this.idle.get(fn)!.push(this.clock.now);
    }
  }
}
