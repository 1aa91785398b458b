// Size: the local Step Functions service (start, describe, list, stop, redrive, callbacks, history limits) around aws-local-stepfunctions.
import './polyfill.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StepFunctionsBackend } from '../sim/api.js';
import type { VirtualClock } from '../sim/clock.js';
import { SimAwsError } from '../sim/errors.js';
import { ROOT } from './definitions.js';
import type { Processes } from './processes.js';

// Runs the real ASL files (the ones serverless.yml deploys) with aws-local-stepfunctions.
// Each `Fn::GetAtt: [fn, Arn]` Task invokes that function's real handler (through the
// simulated Lambda service: cold starts, durations, timeouts). Wait states, Retry/Catch and
// task timeouts are the library's own; in a simulation its timers are the virtual clock's.
// Added here: the execution registry (Start/Describe/Stop/List), task tokens, redrive and
// simulated crash points.

// biome-ignore lint/suspicious/noExplicitAny: ASL is plain JSON.
type Json = any;
export type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startedAt: number;
  stoppedAt?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  stateTransitions: number;
  /** Step Functions history events this execution has written (its limit is 25,000). */
  historyEvents: number;
  historyLimitHit?: boolean;
  statesEntered: { t: number; name: string }[];
  done: Promise<void>;
  /** Simulated crash: the execution dies when it reaches this (Task or Wait) state. */
  crashAt?: string;
  /** Where it died and with which input: what a redrive resumes from. */
  failedState?: { name: string; input: unknown };
  /** StopExecution was called. */
  stopRequest?: { error?: string; cause?: string; t: number };
  redriveCount: number;
}

/** Definitions (as prepared) this process has validated already. */
const VALIDATED = new Set<string>();

// A definition validated once is remembered across processes too (one marker file per content
// hash, with the validator's version in it, under .build/): the schema compile is most of a
// short command's time, and every command of the CLI is a new process. Unwritable: no memory.
const VALIDATOR_VERSION = (() => {
  try {
    return (createRequire(import.meta.url)('asl-validator/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();
const markerOf = (key: string) => join(ROOT, '.build', 'asl-validated', createHash('sha256').update(`${VALIDATOR_VERSION}\n${key}`).digest('hex'));

function validatedBefore(key: string): boolean {
  if (VALIDATED.has(key)) return true;
  if (!existsSync(markerOf(key))) return false;
  VALIDATED.add(key);
  return true;
}

function rememberValidated(key: string): void {
  VALIDATED.add(key);
  try {
    mkdirSync(dirname(markerOf(key)), { recursive: true });
    writeFileSync(markerOf(key), '');
  } catch {
    // A read-only checkout: validated again next time.
  }
}

interface Machine {
  arn: string;
  name: string;
  definition: Json;
  /** Built (and validated) once; each run is an execution. */
  machine: StateMachine;
  handlers: Record<string, LambdaHandler>;
}

const LAMBDA_ARN = (fn: string) => `arn:aws:lambda:us-east-1:123456789012:function:${fn}`;

/** Runs one Lambda invocation of `fn` (the simulator's Lambda service; direct against AWS). */
export type Invoke = <T>(fn: string, run: () => Promise<T>, meta: { executionArn: string; requestId: string }) => Promise<T>;

export interface LocalStepFunctionsOptions {
  invoke?: Invoke;
  onStateEntered?: (exec: ExecutionRecord, state: string) => void;
  onStarted?: (exec: ExecutionRecord) => void;
  onFinished?: (exec: ExecutionRecord) => void;
}

export class LocalStepFunctions implements StepFunctionsBackend {
  readonly executions = new Map<string, ExecutionRecord>();
  private machines = new Map<string, Machine>();
  private nameless = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly procs: Processes,
    private readonly opts: LocalStepFunctionsOptions,
  ) {}

  register(arn: string, definition: Json, handlers: Record<string, LambdaHandler>): void {
    const { definition: prepared } = prepare(definition, Object.keys(handlers));
    // The library validates a definition against the ASL schema (ajv, compiled per instance): the
    // same definition is validated once (per process, and remembered on disk), then built without
    // it (most of a short simulation's time was that compile).
    const key = JSON.stringify(prepared);
    const known = validatedBefore(key);
    const machine = new StateMachine(prepared, { validationOptions: known ? { noValidate: true } : { checkArn: true, checkPaths: true } });
    if (!known) rememberValidated(key);
    this.machines.set(arn, { arn, name: arn.split(':').pop()!, definition: prepared, machine, handlers });
  }

  startExecution(i: { stateMachineArn: string; name?: string; input?: string }) {
    const m = this.machines.get(i.stateMachineArn);
    if (!m) throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
    const name = i.name ?? `exec-${String(++this.nameless).padStart(6, '0')}`;
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new SimAwsError('InvalidName', `Invalid Name: '${name}'`);
    const input = i.input ?? '{}';
    if (Buffer.byteLength(input) > 256 * 1024) throw new SimAwsError('InvalidExecutionInput', 'Input is larger than 256 KB');
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new SimAwsError('InvalidExecutionInput', 'Invalid JSON input');
    }
    const arn = `${m.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const prior = this.executions.get(arn);
    if (prior) {
      // Documented idempotency: same name and input while RUNNING returns the running execution.
      if (prior.status === 'RUNNING' && prior.input === input) return { executionArn: arn, startDate: this.dateOf(prior.startedAt) };
      throw new SimAwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const rec: ExecutionRecord = {
      executionArn: arn,
      stateMachineArn: m.arn,
      name,
      input,
      status: 'RUNNING',
      startedAt: this.clock.now,
      stateTransitions: 0,
      historyEvents: 0,
      statesEntered: [],
      done: Promise.resolve(),
      redriveCount: 0,
    };
    this.executions.set(arn, rec);
    this.opts.onStarted?.(rec);
    rec.done = this.procs.spawn(() => this.run(m, rec, parsed));
    return { executionArn: arn, startDate: this.dateOf(rec.startedAt) };
  }

  describeExecution(i: { executionArn: string }) {
    const e = this.executions.get(i.executionArn);
    if (!e) throw new SimAwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${i.executionArn}'`);
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: this.dateOf(e.startedAt),
      stopDate: e.stoppedAt === undefined ? undefined : this.dateOf(e.stoppedAt),
      input: e.input,
      output: e.output === undefined ? undefined : JSON.stringify(e.output),
      error: e.error,
      cause: e.cause,
    };
  }

  /** StopExecution: the execution ends ABORTED where it is (its current step's work is lost). */
  stopExecution(i: { executionArn: string; error?: string; cause?: string }) {
    const e = this.executions.get(i.executionArn);
    if (!e) throw new SimAwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${i.executionArn}'`);
    if (e.status === 'RUNNING') {
      e.stopRequest = { error: i.error, cause: i.cause, t: this.clock.now };
      this.aborts.get(e.executionArn)?.();
    }
    return { stopDate: this.dateOf(e.stoppedAt ?? this.clock.now) };
  }

  describeStateMachine(i: { stateMachineArn: string }) {
    const m = this.machines.get(i.stateMachineArn);
    if (!m) throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
    return { stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', type: 'STANDARD', definition: JSON.stringify(m.definition) };
  }

  listExecutions(i: { stateMachineArn: string; statusFilter?: string; maxResults?: number }) {
    if (!this.machines.has(i.stateMachineArn)) throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
    const list = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === i.stateMachineArn && (!i.statusFilter || e.status === i.statusFilter))
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, i.maxResults || 100);
    return {
      executions: list.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: this.dateOf(e.startedAt),
        ...(e.stoppedAt === undefined ? {} : { stopDate: this.dateOf(e.stoppedAt) }),
      })),
    };
  }

  private aborts = new Map<string, () => void>();
  private tokens = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private tokenSeq = 0;

  sendTaskSuccess(i: { taskToken: string; output: string }) {
    const t = this.tokens.get(i.taskToken);
    if (!t) throw new SimAwsError('TaskDoesNotExist', 'Task does not exist anymore');
    let output: unknown;
    try {
      output = JSON.parse(i.output);
    } catch {
      throw new SimAwsError('InvalidOutput', 'Invalid JSON output');
    }
    t.resolve(output);
    return {};
  }

  sendTaskFailure(i: { taskToken: string; error?: string; cause?: string }) {
    const t = this.tokens.get(i.taskToken);
    if (!t) throw new SimAwsError('TaskDoesNotExist', 'Task does not exist anymore');
    t.reject(Object.assign(new Error(i.cause ?? ''), { name: i.error ?? 'States.TaskFailed' }));
    return {};
  }

  private dateOf(t: number): Date {
    const now = this.clock.date().getTime();
    return new Date(now - Math.round((this.clock.now - t) * 1000));
  }

  /**
   * Redrive a failed or aborted execution: it resumes at the state where it stopped, with the
   * input that state had (Step Functions redrive), keeping its name and ARN.
   */
  redrive(executionArn: string): void {
    const rec = this.executions.get(executionArn);
    if (!rec?.failedState || rec.status === 'RUNNING' || rec.status === 'SUCCEEDED')
      throw new SimAwsError('ExecutionNotRedrivable', `Execution ${executionArn} cannot be redriven`);
    const m = this.machines.get(rec.stateMachineArn)!;
    const from = rec.failedState;
    rec.status = 'RUNNING';
    rec.redriveCount++;
    rec.failedState = undefined;
    rec.done = this.procs.spawn(() => this.run(m, rec, from.input, from.name));
  }

  private machineFrom(m: Machine, start: string): StateMachine {
    const key = `${m.arn}#${start}`;
    let sm = this.resumed.get(key);
    if (!sm) {
      // Validated in full at registration; from a later state the earlier ones are unreachable.
      sm = new StateMachine({ ...m.definition, StartAt: start }, { validationOptions: { noValidate: true } });
      this.resumed.set(key, sm);
    }
    return sm;
  }

  private resumed = new Map<string, StateMachine>();

  /** Long: one execution from start to end in aws-local-stepfunctions, with its callbacks, crash point, stop and history; its parts share the execution's state. */
  private async run(m: Machine, rec: ExecutionRecord, input: unknown, startAt?: string): Promise<void> {
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    let lastEntered: { name: string; input: unknown } | undefined;
    let abort: () => void = () => {};
    const invoke: Invoke = this.opts.invoke ?? ((_fn, run) => run());
    /** A crash point: the execution dies here, before the state does its work. */
    const crash = (stateName: string, inp: unknown): boolean => {
      if (rec.crashAt !== stateName) return false;
      rec.crashAt = undefined;
      rec.failedState = { name: stateName, input: inp };
      return true;
    };
    const died = async (): Promise<never> => {
      await null; // the first state may run before run() has returned its handle
      abort();
      throw new Error('the execution died here (simulated crash)');
    };
    let invocations = 0;
    for (const [stateName, state] of Object.entries<Json>(m.definition.States)) {
      if (state.Type !== 'Task') continue;
      const fn = state.__function as string;
      const handler = m.handlers[fn];
      const call = (event: unknown) =>
        this.procs.spawn(() => invoke(fn, () => handler(event, lambdaContext(fn, rec)), { executionArn: rec.executionArn, requestId: `${rec.name}-${++invocations}` }), { awaited: true });
      if (state.__callback) {
        const spec = state.__callback;
        overrides[stateName] = async (inp) => {
          if (crash(stateName, inp)) return died();
          const token = `${rec.name}-${stateName}-${++this.tokenSeq}`;
          const answer = new Promise<unknown>((resolve, reject) => this.tokens.set(token, { resolve, reject }));
          await call(virtualStartTime(replaceToken(inp, token), this.dateOf(rec.startedAt)));
          // TimeoutSecondsPath refers to the state's raw input (before Parameters), as logged on
          // entry; the library would read it from the effective input, so the runner keeps it.
          const raw = lastEntered?.name === stateName ? lastEntered.input : inp;
          const timeout = spec.TimeoutSeconds ?? (spec.TimeoutSecondsPath ? jsonPath(raw, spec.TimeoutSecondsPath) : undefined);
          const waiting = new AbortController();
          const timer = typeof timeout === 'number' ? this.clock.sleep(timeout, waiting.signal).then(() => 'timeout' as const) : new Promise<never>(() => {});
          try {
            const r = await Promise.race([answer.then((v) => ({ v })), timer]);
            if (r === 'timeout') throw Object.assign(new Error('the task timed out waiting for its token'), { name: 'States.Timeout' });
            return r.v;
          } finally {
            this.tokens.delete(token);
            waiting.abort(new Error('answered'));
            timer.catch(() => {});
          }
        };
        continue;
      }
      overrides[stateName] = async (inp) => {
        if (crash(stateName, inp)) return died();
        return call(virtualStartTime(inp, this.dateOf(rec.startedAt)));
      };
    }
    const run = (startAt ? this.machineFrom(m, startAt) : m.machine).run(input as Json, {
      overrides: { taskResourceLocalHandlers: overrides as Json },
      context: {
        Execution: { Id: rec.executionArn, Name: rec.name, StartTime: this.dateOf(rec.startedAt).toISOString(), RedriveCount: rec.redriveCount },
        StateMachine: { Id: m.arn, Name: m.name },
      } as Json,
    });
    abort = run.abort;
    // StopExecution ends the execution where it is; a Lambda invocation already running goes on
    // to its end (Step Functions does not stop it) and its calls still land.
    this.aborts.set(rec.executionArn, () => run.abort());
    const result = run.result.then(
      (output: unknown) => ({ ok: true as const, output }),
      (error: Error) => ({ ok: false as const, error }),
    );
    const events = (async () => {
      for await (const ev of run.eventLogs as AsyncIterable<Json>) {
        rec.historyEvents += HISTORY_EVENTS[ev.type] ?? 0;
        // A Lambda task's entry adds LambdaFunctionScheduled, Started and Succeeded/Failed.
        if (ev.type === 'StateEntered' && m.definition.States[ev.state.name]?.Type === 'Task') rec.historyEvents += 3;
        // Step Functions fails an execution whose history reaches 25,000 events, wherever it is.
        if (rec.historyEvents >= HISTORY_EVENT_LIMIT && !rec.historyLimitHit) {
          rec.historyLimitHit = true;
          abort();
        }
        if (ev.type === 'StateEntered') {
          lastEntered = { name: ev.state.name, input: ev.state.input };
          rec.stateTransitions++;
          rec.statesEntered.push({ t: this.clock.now, name: ev.state.name });
          this.opts.onStateEntered?.(rec, ev.state.name);
          // A crash point on a Wait (or any state without a handler of ours): die on entry.
          const st = m.definition.States[ev.state.name];
          if (st && st.Type !== 'Task' && crash(ev.state.name, ev.state.input)) abort();
        }
      }
    })();
    const r = await result;
    await events;
    rec.stoppedAt = this.clock.now;
    this.aborts.delete(rec.executionArn);
    queueMicrotask(() => this.opts.onFinished?.(rec));
    if (rec.historyLimitHit) {
      rec.status = 'FAILED';
      rec.error = 'States.Runtime';
      rec.cause = `the execution's history reached ${HISTORY_EVENT_LIMIT} events (the Step Functions quota): it stopped at ${lastEntered?.name ?? 'its start'}`;
    } else if (rec.stopRequest) {
      // A stopped execution is ABORTED (and, unlike a crash here, nothing redrives it by itself).
      rec.status = 'ABORTED';
      rec.error = rec.stopRequest.error ?? 'States.Aborted';
      rec.cause = rec.stopRequest.cause ?? 'stopped by StopExecution';
      rec.failedState = lastEntered ? { name: lastEntered.name, input: lastEntered.input } : undefined;
    } else if (r.ok) {
      rec.status = 'SUCCEEDED';
      rec.output = r.output;
    } else if (rec.failedState) {
      // A redrive resumes with the state's own input (before InputPath/Parameters).
      if (lastEntered?.name === rec.failedState.name) rec.failedState.input = lastEntered.input;
      rec.status = 'ABORTED';
      rec.error = 'States.Runtime';
      rec.cause = `the execution died at ${rec.failedState.name} (simulated crash)`;
    } else {
      const inner = (r.error as Error & { cause?: Error }).cause ?? r.error;
      rec.status = 'FAILED';
      rec.error = inner.name;
      rec.cause = inner.message;
    }
  }
}

/**
 * Step Functions history events per library event: a state's entry and exit are one event each
 * (a Lambda task's entry also brings its Scheduled, Started and Succeeded/Failed: 3 more); a
 * retry's new attempt schedules again (3 more); a caught error adds nothing beyond its failure.
 */
/** The quota on one standard execution's history. */
export const HISTORY_EVENT_LIMIT = 25_000;

const HISTORY_EVENTS: Record<string, number> = {
  StateEntered: 1,
  StateExited: 1,
  StateRetried: 3,
  ExecutionStarted: 1,
  ExecutionSucceeded: 1,
  ExecutionFailed: 1,
  ExecutionAborted: 1,
  ExecutionTimeout: 1,
};

/**
 * aws-local-stepfunctions sets $$.Execution.StartTime to the host's wall clock, whatever the
 * context says; the release machine passes it as `execution.startTime`, which gets the
 * execution's start in virtual time here.
 */
function virtualStartTime(input: unknown, start: Date): unknown {
  const i = input as { execution?: { startTime?: string } } | null;
  if (!i || typeof i !== 'object' || !i.execution || typeof i.execution.startTime !== 'string') return input;
  return { ...i, execution: { ...i.execution, startTime: start.toISOString() } };
}

function lambdaContext(fn: string, rec: ExecutionRecord) {
  return {
    functionName: `greenlight-local-${fn}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: LAMBDA_ARN(fn),
    memoryLimitInMB: '256',
    awsRequestId: `${rec.name}-${rec.stateTransitions}`,
    logGroupName: `/aws/lambda/greenlight-local-${fn}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    // No getRemainingTimeInMillis: middy's early-timeout timer is a host timer (node:timers),
    // outside virtual time; the simulated Lambda service enforces the function's timeout itself.
  };
}

/**
 * The longest timer Node (and fake-timers) keep: a longer delay fires after 1 ms. AWS's default
 * Task timeout (99,999,999 s) is cut to this; the library's own default would be 60 s.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Replace GetAtt resources by Lambda ARNs (and callback tasks by tasks that wait for their token). */
export function prepare(definition: Json, functions: string[]): { definition: Json } {
  const def = jsonClone(definition);
  for (const [name, state] of Object.entries<Json>(def.States)) {
    if (state.Type === 'Map' || state.Type === 'Parallel') throw new Error(`state ${name}: ${state.Type} is not supported by the local runner yet`);
    if (state.Type === 'Task' && state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      // Callback task: the function gets the Payload (with a fresh task token) and the state
      // waits for SendTaskSuccess/SendTaskFailure, or its timeout, in virtual time.
      const fn = state.Parameters?.FunctionName?.['Fn::GetAtt']?.[0];
      if (!fn || !functions.includes(fn)) throw new Error(`state ${name}: waitForTaskToken needs FunctionName: {Fn::GetAtt: [<function>, Arn]} of a local handler`);
      const { TimeoutSeconds, TimeoutSecondsPath, ...rest } = state;
      def.States[name] = {
        ...rest,
        Resource: LAMBDA_ARN(fn),
        Parameters: withTokenPlaceholder(state.Parameters.Payload ?? {}),
        TimeoutSeconds: MAX_TIMER_SECONDS,
        __function: fn,
        __callback: { TimeoutSeconds, TimeoutSecondsPath },
      };
      continue;
    }
    if (state.Type === 'Task') {
      const getAtt = state.Resource?.['Fn::GetAtt'];
      if (!getAtt) throw new Error(`state ${name}: only Fn::GetAtt Lambda resources are supported locally`);
      const fn = getAtt[0];
      if (!functions.includes(fn)) throw new Error(`state ${name}: no local handler for function "${fn}"`);
      state.Resource = LAMBDA_ARN(fn);
      state.__function = fn;
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
  }
  // aws-local-stepfunctions ignores unknown keys in validation only if we strip them afterwards.
  return { definition: stripPrivate(def) };
}

/**
 * A plain-JSON copy made in this realm. (structuredClone makes objects of the host realm, which
 * aws-local-stepfunctions' plain-object check rejects under Jest's VM modules: nested ".$" keys
 * in Parameters would then go unevaluated.)
 */
function jsonClone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

function stripPrivate(def: Json): Json {
  const out = jsonClone(def);
  for (const state of Object.values<Json>(out.States)) {
    for (const key of ['__function', '__callback']) Object.defineProperty(state, key, { value: state[key], enumerable: false });
  }
  return out;
}

/** The task token placeholder: `"x.$": "$$.Task.Token"` becomes `"x": TOKEN` (replaced per invocation). */
const TOKEN = '__GREENLIGHT_TASK_TOKEN__';
function withTokenPlaceholder(payload: Json): Json {
  if (Array.isArray(payload)) return payload.map(withTokenPlaceholder);
  if (!payload || typeof payload !== 'object') return payload;
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => (k.endsWith('.$') && v === '$$.Task.Token' ? [k.slice(0, -2), TOKEN] : [k, withTokenPlaceholder(v)])),
  );
}

function replaceToken(input: Json, token: string): Json {
  if (input === TOKEN) return token;
  if (Array.isArray(input)) return input.map((x) => replaceToken(x, token));
  if (!input || typeof input !== 'object') return input;
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, replaceToken(v, token)]));
}

function jsonPath(input: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  return path
    .slice(1)
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), input);
}

