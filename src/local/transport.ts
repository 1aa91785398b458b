import { type Clients, createClients } from '../aws/clients.js';
// The CLI's ECR client: no step loads its adapter, and the clients below are all built at once.
import '../aws/ecr.js';
import type { Service } from '../sim/api.js';
import type { VirtualClock } from '../sim/clock.js';
import { SimAwsError } from '../sim/errors.js';
import { currentInvocation } from '../sim/lambda.js';
import { SERVICE } from '../sim/services/index.js';

// Plugs the simulator in below the SDK: the real clients, Command objects, serializers'
// inputs and retry strategy run unchanged; only the HTTP round trip is answered locally.

// biome-ignore lint/suspicious/noExplicitAny: SDK command inputs/outputs are untyped at this seam.
export type ApiTable = Record<Service, Record<string, (input: any) => any>>;

export interface CallRecord {
  /** When the call was made, and when it took effect (answered). */
  t: number;
  end?: number;
  service: Service;
  command: string;
  mutating: boolean;
  caller: string;
  /** The Step Functions execution whose Lambda invocation made the call. */
  execution?: string;
  error?: string;
  /** When the SDK's first attempt of this call started (its retries share its invocation id). */
  firstAttempt?: number;
}

export type FaultKind = 'throttle' | 'server-error' | 'access-denied' | 'crash' | 'stale-read' | 'delay' | 'lambda-timeout';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server-error', 'access-denied', 'crash', 'stale-read', 'delay', 'lambda-timeout'];
export interface FaultRule {
  /** SDK command name without "Command", e.g. ModifyListener. */
  command: string;
  kind: FaultKind;
  /** How many calls fail (then it heals). */
  times: number;
  /** Calls to let through first. */
  skip?: number;
  /** Or: each matching call fails with this probability (seeded), up to `times`. */
  rate?: number;
  /** Only calls made by this function (e.g. switchTraffic). */
  caller?: string;
  /**
   * stale-read: reads answer what the same request answered up to this many seconds ago
   * (default 5). delay: the call takes this many seconds longer, and its write lands at the end.
   */
  seconds?: number;
}

/** A fault rule and what it did in a run: `fired` counts calls it changed (a stale read only when the answer was really stale). */
export interface FaultState extends FaultRule {
  seen: number;
  fired: number;
}

/** A Lambda that dies right after an AWS call took effect (runtime exit, out of memory). */
export class LambdaCrash extends Error {
  override readonly name = 'Lambda.Unknown';
}

/** greenlight's own services: executions, locks and history, notifications. */
export const OWN_SERVICES: ReadonlySet<Service> = new Set(['sfn', 'dynamodb', 'events', 'sns']);

/** A call that changes the user's infrastructure (not greenlight's own bookkeeping). */
export function changesInfrastructure(c: { service: Service; mutating: boolean }): boolean {
  return c.mutating && !OWN_SERVICES.has(c.service);
}

/** Reads are Describe*, Get*, Head*, List*, Query; everything else changes something. */
export function isMutating(command: string): boolean {
  return !/^(Describe|Get|Head|List|Query)/.test(command);
}

/** The SDK's own exception class for this code when the client models one, else its base class. */
export function sdkError(service: Service, code: string, message: string, status: number, extra: Record<string, unknown> = {}): Error {
  const { sdk: mod, baseException } = SERVICE[service];
  const cls = [code, `${code}Exception`].map((n) => mod[n]).find((c) => typeof c === 'function') as
    | (new (o: object) => Error)
    | undefined;
  const meta = { $metadata: { httpStatusCode: status, attempts: 1 }, $fault: status >= 500 ? 'server' : 'client', message, ...extra };
  if (cls && cls.name !== baseException) return new cls(meta);
  const Base = mod[baseException] as new (o: object) => Error;
  return new Base({ name: code, ...meta });
}

/** Just what the transport touches of a client (the clients' full union is too large for tsc). */
// biome-ignore lint/suspicious/noExplicitAny: see above.
type AnyClient = { middlewareStack: { addRelativeTo: (mw: any, opts: any) => void } };

/** Per-call latency (seconds): a default and per-command values. A write takes effect at the end of its call. */
export interface ApiLatency {
  defaultSeconds: number;
  commands: Record<string, number>;
}

export class SimTransport {
  readonly calls: CallRecord[] = [];
  readonly faults: FaultState[];
  /** Reads' answers by request, newest last, for eventually consistent (stale) reads. */
  private answers = new Map<string, { t: number; output: unknown }[]>();
  /** The first attempt's start of each SDK call, by its invocation id. */
  private firstAttempts = new Map<string, number>();
  /** Called when a mutating call has taken effect (the simulation's invariants watch route writes). */
  onWrite?: (record: CallRecord, input: unknown) => void;
  /**
   * IAM: called for every call a function makes (not the operator's); returns why the calling
   * function's role may not make it, or null. A denied call answers the service's AccessDenied.
   */
  authorize?: (service: Service, command: string, input: unknown, caller: string) => string | null;
  /** Calls IAM denied (the summary's accessDenied counts them). */
  readonly denied: { t: number; caller: string; command: string; message: string }[] = [];

  constructor(
    private readonly api: ApiTable,
    private readonly clock: VirtualClock,
    faults: FaultRule[] = [],
    private readonly latency: ApiLatency = { defaultSeconds: 0, commands: {} },
  ) {
    this.faults = faults.map((f) => ({ ...f, seen: 0, fired: 0 }));
  }

  /** Real SDK clients whose transport is this simulator. `caller` labels the call log. */
  clients(caller: string, also?: (service: Service, client: AnyClient) => void): Clients {
    // The SDK's own standard retry strategy (3 attempts, exponential backoff with full jitter):
    // its delays are slept with setTimeout, which is the virtual clock's while a simulation runs.
    const clients = createClients({ region: 'us-east-1', credentials: { accessKeyId: 'SIMULATED', secretAccessKey: 'SIMULATED' } }, (service, client) => {
      this.attach(client as unknown as AnyClient, service as Service, caller);
      also?.(service as Service, client as unknown as AnyClient);
    });
    // Built here, all at once, not on first use inside a run: under load, building clients while
    // the virtual clock runs made some runs differ (no execution at all, or a later switch).
    for (const k of Object.keys(clients)) void (clients as unknown as Record<string, unknown>)[k];
    return clients;
  }

  private match(f: FaultState, short: string, caller: string): boolean {
    return f.command === short && (!f.caller || f.caller === caller);
  }

  /** The next fault to inject into this call, counting it as seen. */
  private pick(short: string, caller: string, kinds: (k: FaultKind) => boolean): FaultState | undefined {
    for (const f of this.faults) {
      if (!kinds(f.kind) || !this.match(f, short, caller) || f.fired >= f.times) continue;
      const n = f.seen++;
      if (f.rate !== undefined ? Math.random() < f.rate : n >= (f.skip ?? 0)) return f;
    }
    return undefined;
  }

  /** Long: the SDK middleware that answers a call: fault, latency, IAM, the simulated API, stale reads, crash: one call's path, in order. */
  private attach(client: AnyClient, service: Service, label: string): void {
    const table = this.api[service];
    client.middlewareStack.addRelativeTo(
      // biome-ignore lint/suspicious/noExplicitAny: middleware generics are not worth spelling out here. Long: it is attach's whole body, one call's path in order.
      (_next: any, context: any) => async (args: any) => {
        const inv = currentInvocation.getStore();
        // A frozen sandbox (the function timed out) sends nothing more.
        if (inv?.frozen) return new Promise(() => {});
        const command: string = context.commandName;
        const short = command.replace(/Command$/, '');
        const caller = inv?.fn ?? label;
        const invocationId = String(args.request?.headers?.['amz-sdk-invocation-id'] ?? '');
        if (invocationId && !this.firstAttempts.has(invocationId)) this.firstAttempts.set(invocationId, this.clock.now);
        const record: CallRecord = {
          t: this.clock.now,
          service,
          command: short,
          mutating: isMutating(short),
          caller,
          ...(inv?.executionArn ? { execution: inv.executionArn } : {}),
          ...(invocationId ? { firstAttempt: this.firstAttempts.get(invocationId) } : {}),
        };
        this.calls.push(record);
        const key = `${command} ${JSON.stringify(args.input)}`;
        const fault = this.pick(short, caller, (k) => k !== 'stale-read');
        const extra = fault?.kind === 'delay' ? (fault.seconds ?? 5) : 0;
        if (fault?.kind === 'delay') fault.fired++;
        const latency = (this.latency.commands[short] ?? this.latency.defaultSeconds) + extra;
        if (latency > 0) await this.clock.sleep(latency);
        if (inv?.frozen) return new Promise(() => {});
        record.end = this.clock.now;
        if (fault && (fault.kind === 'throttle' || fault.kind === 'server-error' || fault.kind === 'access-denied')) {
          fault.fired++;
          const [code, status] = SERVICE[service].faults[fault.kind];
          record.error = code;
          throw sdkError(service, code, `injected ${fault.kind}`, status);
        }
        const denial = inv && this.authorize ? this.authorize(service, short, args.input, caller) : null;
        if (denial) {
          const [code, status] = SERVICE[service].faults['access-denied'];
          record.error = code;
          this.denied.push({ t: this.clock.now, caller, command: short, message: denial });
          throw sdkError(service, code, denial, status);
        }
        const fn = table[command];
        if (!fn) {
          record.error = 'NotImplemented';
          throw sdkError(service, 'NotImplemented', `the simulator does not implement ${service}:${short}`, 501);
        }
        let output: unknown;
        try {
          output = await fn(args.input);
        } catch (e) {
          if (e instanceof SimAwsError) {
            record.error = e.name;
            throw sdkError(service, e.name, e.message, e.status, e.extra);
          }
          throw e;
        }
        const answer = { ...(output as object), $metadata: { httpStatusCode: 200, attempts: 1 } };
        if (record.mutating) this.onWrite?.(record, args.input);
        else if (!('Body' in ((output as object) ?? {})) && !(args.input as { ConsistentRead?: boolean })?.ConsistentRead) {
          // A strongly consistent read (DynamoDB ConsistentRead) is never stale.
          const stale = this.staleAnswer(key, short, caller, answer);
          if (stale !== undefined) {
            record.error = 'stale';
            return { output: stale, response: {} };
          }
        }
        if (fault?.kind === 'crash') {
          fault.fired++;
          record.error = 'crash';
          // The function is dead: whatever its code would do next (a catch block, say) never happens.
          const crash = new LambdaCrash(`the function crashed right after ${service}:${short} took effect`);
          inv?.kill?.(crash);
          throw crash;
        }
        if (fault?.kind === 'lambda-timeout' && inv) {
          // The function hangs after the call took effect, until its timeout ends it.
          fault.fired++;
          record.error = 'lambda-timeout';
          return new Promise(() => {});
        }
        return { output: answer, response: {} };
      },
      { relation: 'after', toMiddleware: 'retryMiddleware', name: 'simTransport', override: true },
    );
  }

  /**
   * Eventually consistent reads: under a stale-read fault a read answers what the same request
   * answered up to `seconds` ago (the oldest answer in that window), when that differs from now.
   * Every fresh answer is kept for later stale reads.
   */
  private staleAnswer(key: string, short: string, caller: string, fresh: unknown): unknown {
    if (!this.faults.some((f) => f.kind === 'stale-read' && f.command === short)) return undefined;
    const now = this.clock.now;
    const history = this.answers.get(key) ?? [];
    let out: unknown;
    const active = this.faults.some((f) => f.kind === 'stale-read' && this.match(f, short, caller) && f.fired < f.times);
    if (active) {
      const window = Math.max(...this.faults.filter((f) => f.kind === 'stale-read' && this.match(f, short, caller)).map((f) => f.seconds ?? 5));
      const old = history.find((h) => h.t >= now - window);
      const f = old && JSON.stringify(old.output) !== JSON.stringify(fresh) ? this.pick(short, caller, (k) => k === 'stale-read') : undefined;
      if (f && old) {
        f.fired++;
        out = structuredClone(old.output);
      }
    }
    history.push({ t: now, output: structuredClone(fresh) });
    // Keep what any window could still ask for (the longest is 600 s), at most 64 answers.
    while (history.length > 64 || (history.length > 1 && history[0].t < now - 600)) history.shift();
    this.answers.set(key, history);
    return out;
  }
}
