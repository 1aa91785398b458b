// Size: the fault matrix (its cases, runner, report and markdown) is one tool; its cases are data.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { bakeWatchSeconds } from '../core/green-timing.js';
import { colourAt as routeColourAt } from '../local/invariants.js';
import { loadScenarioFile, type SessionOptions, type SimulationResult, simulate } from '../local/simulate.js';
import type { FaultKind, FaultRule } from '../local/transport.js';
import type { Scenario, ScenarioStep } from '../sim/scenario.js';
import { scenarioPath } from './scenarios.js';

// The fault matrix. For every base scenario: at every AWS call site of its baseline run
// (function × command), each call fault in turn; then the scenario faults (events late or
// twice, an operator's rollback or route change mid-release, green failing after its check,
// an alarm flapping, the lock table throttled in Finish); then randomised schedules
// (fast-check, seeded). A run counts only if its fault fired: a fault that never touched the
// run proves nothing and is listed as notReached. A run that fired is consistent when every
// invariant holds (the summary's invariantViolations, plus no failed request and a converged
// task count).

/** Single releases, progressive and gated ones, capacity, and concurrent releases. */
export const BASES = [
  'asg-release',
  'asg-rule-route',
  'ecs-release',
  'ecs-ec2-release',
  'eip-release',
  'ecs-scale-in',
  'canary',
  'alarm-rollback',
  'approval',
  'concurrent-releases',
  'upload-during-rollback',
  'upload-at-approval',
  'guard-during-switch',
  'double-alarm',
  'alarm-in-keepwarm',
  'out-of-order-uploads',
  'finish-throttled',
  'reupload-live',
  'shadowed-rule',
  'capacity-flap',
  'canary-judge-bad',
  'canary-judge-good',
];
const QUICK = ['asg-release'];

interface Kind {
  kind: FaultKind;
  times: number;
  seconds?: number;
  only?: 'reads' | 'writes';
}
const KINDS: Kind[] = [
  { kind: 'throttle', times: 3 },
  { kind: 'server-error', times: 1 },
  { kind: 'access-denied', times: 1000 },
  { kind: 'crash', times: 1 },
  { kind: 'lambda-timeout', times: 1 },
  { kind: 'stale-read', times: 1, seconds: 10, only: 'reads' },
  { kind: 'delay', times: 1, seconds: 5, only: 'writes' },
];

export interface Failure {
  scenario: string;
  faults: FaultRule[];
  seed: string;
  reasons: string[];
}

/** A scenario-level fault: the base changed (steps added, an event doubled), and how to tell that it touched the run. */
interface ScenarioFault {
  name: string;
  /** The run, or null when the base has no moment for it (not applicable). */
  make: (
    base: Scenario,
    baseline: SimulationResult,
  ) => { steps?: ScenarioStep[]; scenario?: Scenario; faults?: FaultRule[]; fired?: (r: SimulationResult) => boolean; exempt?: string[]; tolerate?: (reason: string) => boolean } | null;
}

function entered(r: SimulationResult, state: string, which: 'first' | 'last' = 'first'): number | undefined {
  const main = [...r.executions].reverse().find((e) => e.statesEntered.some((s) => s.name === 'PrepareGreen'));
  const xs = main?.statesEntered.filter((s) => s.name === state) ?? [];
  return (which === 'first' ? xs[0] : xs[xs.length - 1])?.t;
}

/** The colour the app's route sent everything to at time t in a run (its initial colour before any change). */
function colourAt(r: SimulationResult, base: Scenario, app: string, t: number): 'blue' | 'green' {
  const a = r.config.apps[app];
  const initial = base.apps.find((x) => x.name === app)?.live ?? 'blue';
  if (!a || a.kind === 'eip') return initial;
  const c = routeColourAt(r.world, a, t, initial);
  return c === 'blue' || c === 'green' ? c : initial;
}

/** The colour the measured release brings up: the one that took no traffic when it planned. */
function releasedColour(r: SimulationResult, base: Scenario, app: string): 'blue' | 'green' {
  return colourAt(r, base, app, entered(r, 'Plan', 'first') ?? 0) === 'blue' ? 'green' : 'blue';
}

/** The base's uploaded routed app and when the measured release entered `state`, or null (no moment for the fault). */
function routedAt(b: Scenario, r: SimulationResult, state: string, which: 'first' | 'last') {
  const t = entered(r, state, which);
  const u = primaryUpload(b);
  const app = u && b.apps.find((a) => a.name === u.upload.app);
  return t && app && app.kind !== 'eip' ? { t, app } : null;
}

function primaryUpload(base: Scenario) {
  return base.steps.find((s): s is Extract<ScenarioStep, { upload: unknown }> => 'upload' in s);
}

const count = (r: SimulationResult, fn: string) => r.lambda.filter((x) => x.fn === fn).length;

const SCENARIO_FAULTS: ScenarioFault[] = [
  {
    name: 'duplicate-delivery',
    make: (b, baseline) => {
      const u = primaryUpload(b);
      if (!u) return null;
      const steps = b.steps.map((x) => (x === u ? { ...u, upload: { ...u.upload, deliveries: 2 } } : x));
      return { scenario: { ...b, steps }, fired: (r) => count(r, 'dispatch') > count(baseline, 'dispatch') };
    },
  },
  {
    name: 'older-event-late',
    // An older upload of the app whose event arrives after the measured upload's (out of order).
    make: (b) => {
      const u = primaryUpload(b);
      return u ? { steps: [{ at: Math.max(0, u.at - 3), upload: { app: u.upload.app, version: '0.0.1', deliveries: 1, again: false, lateSeconds: 40 } }] } : null;
    },
  },
  {
    name: 'rollback-mid-release',
    make: (b, r) => {
      const t = entered(r, 'CheckGreen');
      const u = primaryUpload(b);
      return t && u ? { steps: [{ at: t + 1, startRelease: { input: { app: u.upload.app, action: 'rollback' } } }] } : null;
    },
  },
  {
    name: 'manual-route-change',
    make: (b, r) => {
      const at = routedAt(b, r, 'SwitchTraffic', 'first');
      if (!at) return null;
      const { t, app } = at;
      // Back to the colour that took the traffic just before the switch.
      return { steps: [{ at: t + 0.01, setRoute: { app: app.name, colour: colourAt(r, b, app.name, t - 0.01), share: 100 } }] };
    },
  },
  {
    name: 'manual-split-before-switch',
    // Green is healthy; before the release's first traffic step a person sends half the traffic
    // to it by hand: the release must not push more over that change (it may roll back).
    make: (b, r) => {
      const at = routedAt(b, r, 'SwitchTraffic', 'first');
      if (!at) return null;
      const { t, app } = at;
      return { steps: [{ at: t - 0.5, setRoute: { app: app.name, colour: releasedColour(r, b, app.name), share: 50 } }] };
    },
  },
  {
    name: 'route-reverted-after-write',
    // A person points the route back at the old colour the moment the release's first switch
    // lands, before its read-back: the step must not count (nor be announced) until a read shows it.
    make: (b, r) => {
      const at = routedAt(b, r, 'SwitchTraffic', 'first');
      const write = r.calls.find((c) => c.caller === 'switchTraffic' && (c.command === 'ModifyListener' || c.command === 'ModifyRule') && !c.error);
      if (!at || !write?.end) return null;
      const { t, app } = at;
      return { steps: [{ at: write.end + 0.001, setRoute: { app: app.name, colour: colourAt(r, b, app.name, t - 0.01), share: 100 } }] };
    },
  },
  {
    name: 'route-moved-back-while-warm',
    // After the switch, a person points the route back at the warm old colour: the retire step
    // must not scale down the colour that takes the traffic again.
    make: (b, r) => {
      const at = routedAt(b, r, 'RetireWait', 'first');
      if (!at) return null;
      const { t, app } = at;
      const now = colourAt(r, b, app.name, t);
      // The person sent everything to a colour kept at 1 instance: its capacity is their doing.
      return { steps: [{ at: t + 1, setRoute: { app: app.name, colour: now === 'blue' ? 'green' : 'blue', share: 100 } }], exempt: ['capacity-min:'] };
    },
  },
  {
    name: 'green-fails-after-check',
    // Green passed CheckGreen, then every target stops answering before traffic moves.
    make: (b, r) => {
      const at = routedAt(b, r, 'GreenReady?', 'last');
      if (!at) return null;
      const { t, app } = at;
      // The colour being prepared: the one that took no traffic then.
      const idle = colourAt(r, b, app.name, t) === 'blue' ? 'green' : 'blue';
      return { steps: [{ at: t + 0.001, failTargets: { app: app.name, colour: idle, share: 1, immediate: true } }] };
    },
  },
  {
    name: 'green-fails-during-bake',
    // Traffic is split (a canary or linear step baking), then every green target stops
    // answering: the next step's health guard fails and the rollback must take the split back.
    make: (b, r) => {
      // The first bake's start, whether or not the bake looks at green on the way (Bake, or
      // BakeRest when the bake is shorter than one watch window).
      const at = routedAt(b, r, 'Bake', 'first') ?? routedAt(b, r, 'BakeRest', 'first');
      if (!at) return null;
      const { t, app } = at;
      const idle = releasedColour(r, b, app.name);
      // Until greenlight's next look at green (once per the target group's unhealthy window,
      // never more often than health.pollSeconds) and its route write, the baking share of
      // requests meets dead targets: that much is the design, more is a failure.
      const poll = Number((r.config.apps[app.name] as { health?: { pollSeconds?: number } }).health?.pollSeconds ?? 5);
      const hc = app.healthCheck;
      const bound = bakeWatchSeconds(hc ? { ...hc } : null, poll) + 2;
      const rps = app.requestsPerSecond ?? 20;
      const tolerate = (reason: string) => {
        const seconds = /^route-healthy: for (\d+) s /.exec(reason);
        if (seconds) return Number(seconds[1]) <= bound;
        const failed = /^no-failed-requests: (\d+) failed requests/.exec(reason);
        return !!failed && Number(failed[1]) <= bound * rps;
      };
      return { steps: [{ at: t + 1, failTargets: { app: app.name, colour: idle, share: 1, immediate: true } }], tolerate };
    },
  },
  {
    name: 'crashed-owner-lock',
    // A release that crashed earlier still holds the app's lock, its lease running out in two
    // minutes: the upload waits for the lease, then takes the lock over and goes on.
    make: (b) => {
      const u = primaryUpload(b);
      if (!u || b.staleLocks.length) return null;
      return {
        scenario: { ...b, staleLocks: [{ app: u.upload.app, leaseSecondsLeft: Math.max(0, Math.round(u.at)) + 120 }] },
        fired: (r) => r.executions.some((e) => e.statesEntered.some((x) => x.name === 'WaitForLock')),
      };
    },
  },
  {
    name: 'green-partly-unhealthy',
    // Half of the new version's instances or tasks never answer (the others are fine): green
    // never becomes fully healthy, so no traffic may move to it; a check that counts a part as
    // enough moves production onto half the capacity.
    make: (b) => {
      const u = primaryUpload(b);
      const app = u && b.apps.find((a) => a.name === u.upload.app);
      if (!u || !app || app.kind === 'eip') return null;
      const flakyVersions = [...b.flakyVersions, { version: u.upload.version, share: 0.5 }];
      return { scenario: { ...b, flakyVersions }, fired: (r) => r.executions.some((e) => e.statesEntered.some((x) => x.name === 'PrepareGreen')) };
    },
  },
  {
    name: 'alarm-flapping',
    make: (b, r) => {
      const alarm = b.alarms[0]?.name;
      const t = entered(r, 'SwitchTraffic', 'first');
      if (!alarm || !t) return null;
      return {
        steps: [
          { at: t - 0.5, setAlarm: { name: alarm, state: 'ALARM' } },
          { at: t + 3, setAlarm: { name: alarm, state: 'OK' } },
          { at: t + 20, setAlarm: { name: alarm, state: 'ALARM' } },
          { at: t + 40, setAlarm: { name: alarm, state: 'OK' } },
        ],
      };
    },
  },
  {
    name: 'finish-throttled',
    make: (b) => (primaryUpload(b) ? { faults: [{ command: 'PutItem', caller: 'finish', kind: 'throttle', times: 40 }] } : null),
  },
];

/** Invariant 4 exempts an injected fault on the live colour itself: being denied the drain of a live instance. */
const DRAIN_CALLERS = new Set(['drainStart', 'drainCheck']);
function exemptFromFailedRequests(faults: FaultRule[]): boolean {
  return faults.some((f) => f.kind === 'access-denied' && DRAIN_CALLERS.has(f.caller ?? ''));
}

/**
 * A deployer denied its own table (an IAM mistake in its own stack) cannot let go of its lock or
 * record the outcome: the lock's lease frees the app later. Those two invariants are exempt for
 * such a fault; every other one still holds.
 */
const OWN_TABLE = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query']);
function deniedOwnTable(faults: FaultRule[]): boolean {
  return faults.some((f) => f.kind === 'access-denied' && OWN_TABLE.has(f.command));
}

/**
 * The rollback function itself denied for good (its own route read or write, or its lock): with
 * the canary's share on green, nothing in the stack may move the route back. The release must
 * then end as a failed rollback, and say so ("Release Failed" with RollbackFailed). That is the
 * only invariant it is excused; every other one still holds.
 */
function deniedRollback(faults: FaultRule[]): boolean {
  return faults.some((f) => f.kind === 'access-denied' && f.caller === 'rollback' && f.times >= 100);
}

/** What a fault run must keep, beyond the summary's invariants. */
export function extraInvariants(s: Scenario, r: SimulationResult): string[] {
  const bad: string[] = [];
  const sum = r.summary;
  const app = s.apps.find((a) => a.name === sum.app)!;
  const versions = new Set([app.initialVersion, sum.version, ...s.steps.flatMap((x) => ('upload' in x ? [x.upload.version] : []))]);
  if (sum.liveVersion !== null && !versions.has(sum.liveVersion)) bad.push(`live-version: ${sum.liveVersion} is none of the versions of the run`);
  if (sum.failedRequests > 0) bad.push(`no-failed-requests: ${sum.failedRequests} failed requests`);
  if (sum.desiredCount !== undefined && sum.desiredCount !== sum.expectedDesiredCount) bad.push(`task-count: desiredCount ${sum.desiredCount} ≠ expected ${sum.expectedDesiredCount}`);
  // Injected AccessDenied faults do not count here: these are calls the stack's own IAM denied.
  if (sum.accessDenied > 0) bad.push(`iam: ${sum.accessDenied} calls denied by the stack's own policy`);
  return bad;
}

/** One fault run: did the fault fire, and which invariants broke. */
export async function faultRun(
  base: Scenario,
  faults: FaultRule[],
  steps: ScenarioStep[] = [],
  options?: SessionOptions,
  firedIf?: (r: SimulationResult) => boolean,
  baselineFails = false,
): Promise<{ fired: boolean; reasons: string[]; result: SimulationResult }> {
  // Capacity runs last past a hook timeout (300 s) and a scheduled reconcile (every 5 min), the
  // mechanisms that heal what a failed execution left.
  const capacity = base.apps.some((a) => a.kind === 'ecs' && a.greenlight.scaling);
  // The scenario's intended result holds for its baseline only: an injected fault may change it.
  const touched = faults.length > 0 || steps.length > 0;
  const s: Scenario = {
    ...base,
    ...(touched ? { expect: undefined } : {}),
    faults: [...base.faults, ...faults],
    steps: [...base.steps, ...steps],
    minSeconds: capacity ? Math.max(base.minSeconds, 700) : base.minSeconds,
  };
  let result: SimulationResult;
  try {
    result = await simulate(s, options);
  } catch (err) {
    // A run that crashes the simulation is a failure of its own (it counts as fired).
    throw Object.assign(new Error(`the simulation crashed: ${(err as Error).name}: ${(err as Error).message}`), { crashed: true });
  }
  const callFired = result.faults.slice(base.faults.length).some((f) => f.fired > 0);
  // A scenario step fired when it came while a release of the app was running.
  const stepFired = steps.some((st) => result.executions.some((e) => e.startedAt <= st.at && (e.stoppedAt ?? Number.POSITIVE_INFINITY) >= st.at));
  const fired = firedIf ? firedIf(result) : faults.length ? callFired : steps.length ? stepFired : true;
  let reasons = [...result.summary.invariantViolations, ...extraInvariants(s, result)];
  if (exemptFromFailedRequests(faults)) reasons = reasons.filter((x) => !x.startsWith('no-failed-requests:') && !x.startsWith('capacity-min:'));
  // A base whose own premise fails requests (e.g. a route nobody reaches): failed requests are no signal there.
  if (baselineFails) reasons = reasons.filter((x) => !x.startsWith('no-failed-requests:'));
  if (deniedOwnTable(faults)) reasons = reasons.filter((x) => !x.startsWith('lock-free:') && !x.startsWith('history-outcome:') && !x.startsWith('rolled-back-green-retired:'));
  const reported = /RollbackFailed/.test(result.summary.reason ?? '') && (result.summary.events?.['Release Failed'] ?? 0) > 0;
  if (deniedRollback(faults) && reported) reasons = reasons.filter((x) => !x.startsWith('route-whole:'));
  return { fired, reasons, result };
}

/** faultRun, with a crash of the simulation reported as a failed run instead of ending the matrix. */
async function safeRun(...args: Parameters<typeof faultRun>): Promise<{ fired: boolean; reasons: string[]; result?: SimulationResult }> {
  try {
    return await faultRun(...args);
  } catch (err) {
    return { fired: true, reasons: [`crash: ${(err as Error).message}`] };
  }
}

export interface MatrixReport {
  scenarios: number;
  fired: number;
  notReached: number;
  consistent: number;
  failures: Failure[];
  notReachedRuns: string[];
  perBase: Record<string, { scenarios: number; fired: number; consistent: number }>;
  /** Stopped at the first failure outside `known` (the rest did not run). */
  stoppedEarly?: boolean;
}

export async function runFaults(json: boolean, quick: boolean, only?: string, runId?: string, knownFile?: string): Promise<number> {
  const known = knownFile ? new Set<string>(JSON.parse(readFileSync(knownFile, 'utf8')) as string[]) : undefined;
  // One run by the id the matrix prints (`base/caller:Command/kind`, `base/scenario-fault`,
  // `base/random/seed=N/run=i`): its base is the id's first part.
  const r = await faultMatrix({ quick, only: only ?? runId?.split('/')[0], runId, known, quietTimeline: json, progress: json ? undefined : (c) => process.stdout.write(c) });
  if (json) process.stdout.write(`${JSON.stringify({ scenarios: r.scenarios, fired: r.fired, notReached: r.notReached, consistent: r.consistent, failures: r.failures, perBase: r.perBase, ...(r.stoppedEarly ? { stoppedEarly: true } : {}) })}\n`);
  else {
    process.stdout.write(`\n${r.scenarios} scenarios: ${r.fired} fired, ${r.notReached} not reached, ${r.consistent} consistent\n`);
    for (const [b, x] of Object.entries(r.perBase)) process.stdout.write(`  ${b.padEnd(24)} ${x.scenarios} runs, ${x.fired} fired, ${x.consistent} consistent\n`);
    for (const f of r.failures.slice(0, 30)) process.stdout.write(`  FAIL ${f.seed}: ${f.reasons.join('; ')}\n`);
  }
  return r.fired === r.consistent ? 0 : 1;
}

/** A failure's identity across runs: its run id and each broken invariant's name. */
export const failureKeys = (f: { seed: string; reasons: string[] }) => f.reasons.map((x) => `${f.seed} ${x.split(':')[0]}`);

class StopEarly extends Error {}

export async function faultMatrix(opts: {
  quick: boolean;
  only?: string;
  runId?: string;
  quietTimeline?: boolean;
  bases?: string[];
  randomRuns?: number;
  seed?: number;
  progress?: (c: string) => void;
  options?: SessionOptions;
  /** Stop at the first failure not among these keys (a mutant run: one new failure kills it). */
  known?: Set<string>;
}): Promise<MatrixReport> {
  const report: MatrixReport = { scenarios: 0, fired: 0, notReached: 0, consistent: 0, failures: [], notReachedRuns: [], perBase: {} };
  try {
    await matrixRuns(opts, report);
  } catch (err) {
    if (!(err instanceof StopEarly)) throw err;
    report.stoppedEarly = true;
  }
  return report;
}

/** Long: the matrix's one loop (scenario × fault × state), with its worker pool and progress; the per-run work is in runCase. */
async function matrixRuns(opts: Parameters<typeof faultMatrix>[0], report: MatrixReport): Promise<void> {
  const { quick, only, runId, randomRuns = 8, seed = 20261126, progress = () => {}, options, known } = opts;
  const wanted = (id: string) => runId === undefined || runId === id;
  // One run asked for by its id: its timeline too (what `simulate` prints), to see what happened.
  const show = async (id: string, run: Promise<{ fired: boolean; reasons: string[]; result?: SimulationResult }>) => {
    const r = await run;
    if (runId === id && r.result && !opts.quietTimeline) {
      const { renderTimeline } = await import('./simulate.js');
      process.stderr.write(renderTimeline(r.result));
    }
    return r;
  };
  const record = (name: string, id: string, faults: FaultRule[], r: { fired: boolean; reasons: string[] }) => {
    report.perBase[name] ??= { scenarios: 0, fired: 0, consistent: 0 };
    const per = report.perBase[name];
    report.scenarios++;
    per.scenarios++;
    if (!r.fired) {
      report.notReached++;
      report.notReachedRuns.push(id);
      progress('_');
      return;
    }
    report.fired++;
    per.fired++;
    if (r.reasons.length === 0) {
      report.consistent++;
      per.consistent++;
      progress('.');
    } else {
      report.failures.push({ scenario: name, faults, seed: id, reasons: r.reasons });
      progress('F');
      if (known && failureKeys({ seed: id, reasons: r.reasons }).some((k) => !known.has(k))) throw new StopEarly();
    }
  };
  for (const name of only ? only.split(',') : (opts.bases ?? (quick ? QUICK : BASES))) {
    const loaded = loadScenarioFile(scenarioPath(name));
    // The quick subset shortens the keep-warm window (the faults it injects are the same).
    const base = quick ? { ...loaded, apps: loaded.apps.map((a) => ({ ...a, greenlight: { ...a.greenlight, retire: { keepWarmInstances: 1, keepWarmMinutes: 1 } } })) } : loaded;
    const baseline = await faultRun(base, [], [], options);
    const baselineFails = baseline.result.summary.failedRequests > 0 && baseline.result.summary.invariantViolations.length === 0;
    record(name, `${name}/baseline`, [], { ...baseline, reasons: baselineFails ? baseline.reasons.filter((x) => !x.startsWith('no-failed-requests:')) : baseline.reasons });
    const sites = [...new Map(baseline.result.calls.filter((c) => c.service !== 'sfn').map((c) => [`${c.caller}:${c.command}`, c])).values()];
    const chosen = quick ? sites.filter((_, i) => i % 4 === 0) : sites;
    for (const site of chosen) {
      for (const k of KINDS) {
        if ((k.only === 'reads' && site.mutating) || (k.only === 'writes' && !site.mutating)) continue;
        const fault: FaultRule = { command: site.command, caller: site.caller, kind: k.kind, times: k.times, ...(k.seconds ? { seconds: k.seconds } : {}) };
        if (!wanted(`${name}/${site.caller}:${site.command}/${k.kind}`)) continue;
        record(name, `${name}/${site.caller}:${site.command}/${k.kind}`, [fault], await show(`${name}/${site.caller}:${site.command}/${k.kind}`, safeRun(base, [fault], [], options, undefined, baselineFails)));
      }
    }
    for (const sf of quick ? SCENARIO_FAULTS.filter((_, i) => i % 2 === 0) : SCENARIO_FAULTS) {
      const made = sf.make(base, baseline.result);
      if (made === null || !wanted(`${name}/${sf.name}`)) continue;
      const faults = made.faults ?? [];
      const scenario = made.scenario ? { ...made.scenario, expect: undefined } : base;
      const run = await show(`${name}/${sf.name}`, safeRun(scenario, faults, made.steps ?? [], options, made.fired, baselineFails));
      record(name, `${name}/${sf.name}`, faults, { ...run, reasons: run.reasons.filter((x) => !(made.exempt ?? []).some((e) => x.startsWith(e)) && !made.tolerate?.(x)) });
    }
    // Randomised schedules over the same sites, counts and rates: reproducible from (seed, base).
    const arb = fc.array(
      fc.record({
        site: fc.constantFrom(...sites),
        kind: fc.constantFrom(...KINDS.filter((k) => !k.only)),
        skip: fc.nat({ max: 3 }),
        rate: fc.option(fc.constantFrom(0.1, 0.3, 0.5), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 4 },
    );
    // A run id names its seed: `--case` reproduces a random run whatever ran before it.
    const named = runId && /\/random\/seed=(\d+)\//.exec(runId);
    const runSeed = named ? Number(named[1]) : seed + report.scenarios;
    const schedules = fc.sample(arb, { seed: runSeed, numRuns: quick ? 1 : randomRuns });
    for (const [i, schedule] of schedules.entries()) {
      if (!wanted(`${name}/random/seed=${runSeed}/run=${i}`)) continue;
      const faults: FaultRule[] = schedule.map((f) => ({
        command: f.site.command,
        caller: f.site.caller,
        kind: f.kind.kind,
        times: f.kind.kind === 'access-denied' ? 1 : f.kind.times,
        ...(f.rate !== undefined ? { rate: f.rate } : { skip: f.skip }),
      }));
      record(name, `${name}/random/seed=${runSeed}/run=${i}`, faults, await show(`${name}/random/seed=${runSeed}/run=${i}`, safeRun({ ...base, seed: base.seed + i }, faults, [], options, undefined, baselineFails)));
    }
  }
}
