import { hostname } from 'node:os';
import { readLock } from '../aws/dynamodb.js';
import { loadDefinition } from '../local/definitions.js';
import { FUNCTIONS } from '../local/functions.js';
import { Processes } from '../local/processes.js';
import { CAPACITY_STATE_MACHINE_ARN, RELEASE_STATE_MACHINE_ARN } from '../local/simulate.js';
import { type ExecutionRecord, LocalStepFunctions } from '../local/stepfunctions.js';
import { VirtualClock } from '../sim/clock.js';
import type { Account } from './account.js';
import type { Result } from './commands/index.js';
import { UsageError } from './scenarios.js';

// run-local: one execution of a state machine on this machine (aws-local-stepfunctions), with
// the real handlers. Against AWS the handlers call the account of the environment and Wait
// states wait in real time; with --sim it is an execution inside the simulation.

export async function runLocal(account: Account, machine: string, inputText: string | undefined, json = false): Promise<Result> {
  if (machine !== 'release' && machine !== 'capacity') throw new UsageError('run-local <release|capacity> --input \'{"app":"web","version":"1.4.2"}\'');
  if (!inputText) throw new UsageError("run-local needs --input '<json>', e.g. --input '{\"app\":\"web\",\"version\":\"1.4.2\"}'");
  try {
    JSON.parse(inputText);
  } catch (err) {
    throw new UsageError(`--input is not JSON: ${(err as Error).message}`);
  }
  const arn = machineArn(account, machine);
  // Progress goes to stderr with --json: stdout holds the one JSON document.
  const print = (t: number, text: string) => (json ? process.stderr : process.stdout).write(`+${String(Math.round(t)).padStart(5)}s ${text}\n`);
  let rec: ExecutionRecord;
  if (account.kind === 'sim') {
    const { sfn, clock } = account.session!;
    const t0 = clock.now;
    const r = sfn.startExecution({ stateMachineArn: arn, input: inputText });
    rec = sfn.executions.get(r.executionArn)!;
    while (rec.status === 'RUNNING') await account.sleep(1);
    for (const s of rec.statesEntered) print(s.t - t0, s.name);
  } else {
    // Real time: Wait states, retry intervals and the SDK's backoff wait for real.
    const clock = new VirtualClock(Date.now(), { real: true });
    const procs = new Processes(clock);
    const deps = account.deps();
    const app = (JSON.parse(inputText) as { app?: unknown }).app;
    const watch =
      machine === 'release' && typeof app === 'string'
        ? lockWatch(
            () => readLock(deps.clients.dynamodb, account.names.table, app).then((l) => l.abortedOwner ?? null),
            (exec) => {
              print(clock.now, `greenlight abort let go of ${app}'s lock held by this execution: stopping`);
              sfn.stopExecution({ executionArn: exec, error: 'Aborted', cause: `aborted with greenlight abort ${app}` });
            },
          )
        : () => {};
    const sfn: LocalStepFunctions = new LocalStepFunctions(clock, procs, {
      onStateEntered: (e, state) => {
        print(clock.now, state);
        if (e.status === 'RUNNING') watch(e.executionArn);
      },
    });
    const handlers = Object.fromEntries(Object.entries(FUNCTIONS).map(([name, mod]) => [name, mod.withDeps({ ...deps, now: () => clock.date() })])) as Record<
      string,
      (e: unknown, c: unknown) => Promise<unknown>
    >;
    sfn.register(arn, loadDefinition(machine), handlers);
    const r = sfn.startExecution({ stateMachineArn: arn, input: inputText, name: `run-local-${hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 30)}-${Date.now()}` });
    rec = sfn.executions.get(r.executionArn)!;
    await rec.done;
  }
  const ok = rec.status === 'SUCCEEDED';
  const text = ok ? `SUCCEEDED ${JSON.stringify(rec.output)}\n` : `${rec.status} ${rec.error ?? ''}: ${rec.cause ?? ''}\n`;
  return { code: ok && (rec.output as { outcome?: string })?.outcome !== 'superseded' ? 0 : 1, text, json: { status: rec.status, output: rec.output ?? null, error: rec.error ?? null, cause: rec.cause ?? null, states: rec.statesEntered.map((s) => s.name) } };
}

/**
 * The state machine a local execution is named under. Against AWS: the stack's own, so the lock,
 * the history, the events and the messages carry a real ARN of this account and region.
 */
export function machineArn(account: Pick<Account, 'kind' | 'names'>, machine: 'release' | 'capacity'): string {
  if (account.kind === 'sim') return machine === 'release' ? RELEASE_STATE_MACHINE_ARN : CAPACITY_STATE_MACHINE_ARN;
  return machine === 'release' ? account.names.releaseStateMachineArn : account.names.capacityStateMachineArn;
}

/**
 * `greenlight abort` cannot StopExecution a local execution: it lets go of the app's lock and
 * names the execution it took it from (`abortedOwner`). Called at every state, this reads that
 * name and calls `onAborted` once it is this execution's. A release letting go of the lock
 * itself (keep-warm, Finish) names nobody, so it goes on.
 */
export function lockWatch(readAborted: () => Promise<string | null>, onAborted: (exec: string) => void): (exec: string) => void {
  let done = false;
  return (exec) => {
    readAborted().then(
      (aborted) => {
        if (aborted === exec && !done) {
          done = true;
          onAborted(exec);
        }
      },
      () => {}, // a failed read says nothing; the next state reads again
    );
  };
}
