import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../local/definitions.js';
import { type CapacitySummary, loadScenarioFile, type Summary, simulate } from '../local/simulate.js';
import { type FunctionFigures, packagedFunctions, packagedTemplate } from './bench-functions.js';
import { judgeRates } from './bench-judge.js';
import { scenarioNames, scenarioPath } from './scenarios.js';

// Figures, not pass/fail: every shipped scenario, its outcome and what it cost; the functions
// as shipped (cold init, zip size); the simulator's speed; the cost by fleet size. All measured
// in one run. `--quick` leaves out the packaged functions (a `serverless package` and 250 spawns).

/** The scenarios whose lifecycle events the capacity figure counts (AWS calls per event). */
const CAPACITY_SCENARIOS = ['ecs-scale-out', 'ecs-scale-in', 'ecs-burst'];
/** simSpeed: this scenario as a whole CLI process (start-up included). */
const SPEED_SCENARIO = 'canary';
/** canary-judge-good and canary-judge-bad each run with this many seeds (false-rollback and missed-regression rates). */
const JUDGE_SEEDS = 50;

/** Long: one run measures every figure the issue asks for in one object (scenarios, cold starts, zip sizes, simulator speed, fleet sweep), each a few lines in order; split, each part would take the same dozen arguments. */
export async function runBench(json: boolean, quick = false, markdown = false): Promise<number> {
  const printTable = <R>(cols: [string, (r: R) => string][], rows: R[]) => writeTable(cols, rows, markdown);
  const rows: (Summary & Partial<CapacitySummary> & { realMs: number; callsPerInstance: number | null })[] = [];
  for (const name of scenarioNames()) {
    const scenario = loadScenarioFile(scenarioPath(name));
    const started = performance.now();
    const { summary } = await simulate(scenario);
    const app = scenario.apps.find((a) => a.name === summary.app);
    const instances = app ? (app.kind === 'ecs' ? app.tasks : app.kind === 'eip' ? 1 : app.instances) : 0;
    rows.push({ ...summary, realMs: Math.round(performance.now() - started), callsPerInstance: instances ? Math.round((summary.awsCalls / instances) * 10) / 10 : null });
  }
  const scaling = await fleetSweep();
  const judgement = await judgeRates(JUDGE_SEEDS);
  const speed = simSpeed();
  const fns: FunctionFigures | null = quick ? null : packagedFunctions(10);
  if (json) {
    const scenarios = Object.fromEntries(
      rows.map((r) => [
        r.scenario,
        {
          outcome: r.outcome,
          ttlOverBound: r.liveOverBound,
          timeToLiveSeconds: r.timeToLiveSeconds,
          boundSeconds: r.greenReadyBoundSeconds,
          transitions: r.stateTransitions,
          awsCalls: r.awsCalls,
          mutatingCalls: r.mutatingCalls,
          failedRequests: r.failedRequests,
          maxHistoryEvents: r.maxHistoryEvents,
          invariantViolations: r.invariantViolations.length,
          ...(r.awsCallsPerEvent !== undefined ? { awsCallsPerEvent: r.awsCallsPerEvent } : {}),
          virtualSeconds: r.virtualSeconds,
          realMs: r.realMs,
        },
      ]),
    );
    const capacityCallsPerEvent = Object.fromEntries(rows.filter((r) => CAPACITY_SCENARIOS.includes(r.scenario)).map((r) => [r.scenario, r.awsCallsPerEvent ?? null]));
    const scale = iamScale();
    const { manyApps: _, ...iam } = scale;
    process.stdout.write(`${JSON.stringify({ scenarios, capacityCallsPerEvent, ...(fns ? { bareNodeMs: fns.bareNodeMs, functions: fns.functions } : {}), canaryJudgement: judgement, simSpeed: speed, scaling, iam: { ...iam, ...(quick ? {} : { templates: templates(scale) }) } })}\n`);
    return 0;
  }
  const cols: [string, (r: (typeof rows)[number]) => string][] = [
    ['scenario', (r) => r.scenario],
    ['outcome', (r) => r.outcome],
    ['live', (r) => String(r.liveVersion ?? '-')],
    ['invariants', (r) => (r.invariantViolations.length ? `${r.invariantViolations.length} VIOLATED` : 'held')],
    ['ttl s', (r) => (r.timeToLiveSeconds ?? '-').toString()],
    ['bound s', (r) => r.greenReadyBoundSeconds.toString()],
    ['ttl/bound', (r) => (r.liveOverBound ?? '-').toString()],
    ['requests', (r) => r.requests.toString()],
    ['failed', (r) => r.failedRequests.toString()],
    ['aws calls', (r) => r.awsCalls.toString()],
    ['mutating', (r) => r.mutatingCalls.toString()],
    ['transitions', (r) => r.stateTransitions.toString()],
    ['max history', (r) => r.maxHistoryEvents.toString()],
    ['execs', (r) => r.executions.toString()],
    ['releases', (r) => r.releases.toString()],
    ['virtual s', (r) => r.virtualSeconds.toString()],
    ['real ms', (r) => r.realMs.toString()],
  ];
  printTable(cols, rows);
  process.stdout.write(`ttl = upload → 100% of requests answered by the new version; bound = launch + boot + health checks (the physical limit).\n`);
  for (const r of rows.filter((x) => x.invariantViolations.length)) process.stdout.write(`  ${r.scenario}: ${r.invariantViolations.join('; ')}\n`);
  const special = rows.filter((r) => r.rollbackLatencySeconds !== undefined || r.prodRequestsToGreen !== undefined || r.interleaved !== undefined);
  if (special.length) {
    process.stdout.write(`\nProgressive delivery and operating:\n`);
    printTable(
      [
        ['scenario', (r) => r.scenario],
        ['outcome', (r) => r.outcome],
        ['rollbackLatency s', (r) => String(r.rollbackLatencySeconds ?? '-')],
        ['prodRequestsToGreen', (r) => String(r.prodRequestsToGreen ?? '-')],
        ['interleaved', (r) => String(r.interleaved ?? '-')],
        ['superseded', (r) => String(r.superseded ?? '-')],
        ['live version', (r) => String(r.liveVersion)],
        ['failed', (r) => String(r.failedRequests)],
      ],
      special,
    );
  }
  const capacity = rows.filter((r) => r.desiredCount !== undefined);
  if (capacity.length) {
    process.stdout.write(`\nCapacity (ECS tasks following the Auto Scaling group):\n`);
    printTable(
      [
        ['scenario', (r) => r.scenario],
        ['outcome', (r) => r.outcome],
        ['desiredCount', (r) => String(r.desiredCount)],
        ['expected', (r) => String(r.expectedDesiredCount)],
        ['stoppedWhileServing', (r) => String(r.tasksStoppedWhileServing)],
        ['completed', (r) => String(r.lifecycleActionsCompleted)],
        ['abandoned', (r) => String(r.lifecycleActionsAbandoned)],
        ['timed out', (r) => String(r.lifecycleActionsTimedOut)],
        ['events', (r) => `${r.lifecycleEvents}${r.eventsDropped ? ` (${r.eventsDropped} lost)` : ''}`],
        ['aws calls', (r) => String(r.awsCalls)],
        ['calls/event', (r) => String(r.awsCallsPerEvent ?? '-')],
        ['failed', (r) => String(r.failedRequests)],
      ],
      capacity,
    );
  }
  process.stdout.write(`\nBy fleet size (the per-release cost should not grow with the fleet; ratio = largest ÷ smallest):\n`);
  const sweep = scaling.flatMap((f) => [
    ...f.sizes.map((r) => [f.scenario, r.size, r.outcome, r.awsCalls, r.mutatingCalls, r.transitions, r.ttlOverBound ?? '-', r.failedRequests, r.realMs].map(String)),
    [f.scenario, 'ratio', '', String(f.ratio.awsCalls ?? '-'), '', String(f.ratio.transitions ?? '-'), String(f.ratio.ttlOverBound ?? '-'), '', ''],
  ]);
  printTable(
    ['scenario', 'size', 'outcome', 'aws calls', 'mutating', 'transitions', 'ttl/bound', 'failed', 'real ms'].map((h, k) => [h, (r: string[]) => r[k]] as [string, (r: string[]) => string]),
    sweep,
  );
  process.stdout.write(
    `\nCanary judgement (Mann-Whitney U), ${judgement.seeds} seeds each: canary-judge-good rolled back ${judgement.falseRollbacks} (false-rollback rate ${judgement.falseRollbackRate}), canary-judge-bad released ${judgement.missedRegressions} (missed-regression rate ${judgement.missedRegressionRate}); ${judgement.otherOutcomes} other outcomes; ${judgement.msPerRun} ms per run.\n`,
  );
  process.stdout.write(`\nSimulator speed: ${speed.scenario} as a whole CLI process, ${speed.virtualSeconds} virtual s in ${speed.wallSeconds} wall s: ${speed.ratio}×\n`);
  if (fns) {
    process.stdout.write(`\nFunctions as shipped (serverless package; import + init in a fresh node, median of ${fns.runs}, ÷ a bare node -e 0 of ${fns.bareNodeMs} ms):\n`);
    printTable(
      [
        ['function', ([n]) => n],
        ['cold init ms', ([, f]) => String(f.coldInitMs)],
        ['ratio', ([, f]) => `${f.coldInitRatio}×`],
        ['zip KB', ([, f]) => String(f.zipKB)],
      ],
      Object.entries(fns.functions),
    );
  }
  const iam = iamScale();
  const by = (n: 1 | 30 | 300) => `${iam.largestPolicyChars[n].chars} (${iam.largestPolicyChars[n].role})`;
  process.stdout.write(
    `\nIAM (deploy/many-apps.cjs, a mix of asg, ECS on EC2 and Fargate, eip): the largest role policy is ${by(1)} / ${by(30)} / ${by(300)} characters for 1 / 30 / 300 apps; IAM allows ${iam.limit} per role: ${iam.mostAppsThatFit} apps of the mix fit one stack (check-config refuses more).\n` +
      `With iam.scope: tags: ${[1, 30, 300, 1000].map((n) => iam.tags.largestPolicyChars[n].chars).join(' / ')} characters for 1 / 30 / 300 / 1000 apps.\n`,
  );
  if (!quick) {
    const t = templates(iam);
    process.stdout.write(
      `CloudFormation template: ${Object.entries(t).map(([n, x]) => `${n} app${n === '1' ? '' : 's'} ${x.resources} resources, ${Math.round(x.bytes / 1024)} KB`).join('; ')} (limits: 500 resources, 1 MB).\n`,
    );
  }
  return 0;
}

/** The whole CLI process for one scenario: virtual seconds per wall second, start-up included. */
function simSpeed() {
  const t = performance.now();
  const r = spawnSync(join(ROOT, 'bin', 'greenlight'), ['simulate', SPEED_SCENARIO, '--json'], { cwd: ROOT, encoding: 'utf8' });
  const wall = (performance.now() - t) / 1000;
  const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { virtualSeconds?: number };
  const virtualSeconds = summary.virtualSeconds ?? 0;
  return { scenario: SPEED_SCENARIO, virtualSeconds, wallSeconds: Math.round(wall * 100) / 100, ratio: Math.round(virtualSeconds / wall) };
}

/** A table aligned for a terminal, or (--markdown) as docs/performance.md shows it (regenerated from this command, not by hand). */
function writeTable<R>(cols: [string, (r: R) => string][], rows: R[], markdown: boolean): void {
  const table = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r)))];
  if (markdown) {
    const line = (row: string[]) => `| ${row.join(' | ')} |\n`;
    process.stdout.write(`\n${line(table[0])}${line(cols.map(() => '---'))}${table.slice(1).map(line).join('')}`);
    return;
  }
  const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) process.stdout.write(`${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}\n`);
}

/** The happy paths at growing fleet sizes: instances (asg), tasks (ecs on Fargate). */
async function fleetSweep() {
  const out = [];
  for (const name of ['asg-release', 'ecs-release']) {
    const base = loadScenarioFile(scenarioPath(name));
    const sizes: { size: number; outcome: string; awsCalls: number; mutatingCalls: number; transitions: number; ttlOverBound: number | null; failedRequests: number; realMs: number }[] = [];
    for (const size of [4, 200, 1000]) {
      const apps = base.apps.map((a) => (a.kind === 'ecs' ? { ...a, tasks: size } : a.kind === 'asg' ? { ...a, instances: size } : a));
      const started = performance.now();
      const { summary: r } = await simulate({ ...base, name, apps });
      sizes.push({
        size,
        outcome: r.outcome,
        awsCalls: r.awsCalls,
        mutatingCalls: r.mutatingCalls,
        transitions: r.stateTransitions,
        ttlOverBound: r.liveOverBound,
        failedRequests: r.failedRequests,
        realMs: Math.round(performance.now() - started),
      });
    }
    const ratio = (k: 'awsCalls' | 'transitions' | 'ttlOverBound') => {
      const v = sizes.map((x) => x[k]).filter((x): x is number => typeof x === 'number' && x > 0);
      return v.length === sizes.length ? Math.round((Math.max(...v) / Math.min(...v)) * 1000) / 1000 : null;
    };
    out.push({ scenario: name, sizes, ratio: { awsCalls: ratio('awsCalls'), transitions: ratio('transitions'), ttlOverBound: ratio('ttlOverBound') } });
  }
  return out;
}

/**
 * The largest function role policy (characters as IAM counts them) for 1, 30 and 300 apps of
 * mixed kinds (deploy/many-apps.cjs), IAM's limit per role, and the most apps of that mix whose
 * roles fit.
 */
export function iamScale() {
  const require = createRequire(import.meta.url);
  const iam = require(join(ROOT, 'deploy', 'iam.cjs')) as { largestPolicy: (doc: unknown) => { fn: string; chars: number; limit: number; problem: string | null } };
  const { manyApps } = require(join(ROOT, 'deploy', 'many-apps.cjs')) as { manyApps: (n: number, o?: { scope: 'names' | 'tags' }) => unknown };
  const at = (n: number, scope: 'names' | 'tags' = 'names') => iam.largestPolicy(manyApps(n, { scope }));
  let fit = 1;
  while (fit < 1000 && at(fit + 1).problem === null) fit++;
  const sizes = (scope: 'names' | 'tags', ns: number[]) =>
    Object.fromEntries(
      ns.map((n) => {
        const p = at(n, scope);
        return [n, { role: p.fn, chars: p.chars, fits: p.problem === null }];
      }),
    );
  return {
    limit: at(1).limit,
    largestPolicyChars: sizes('names', [1, 30, 300]),
    mostAppsThatFit: fit,
    /** iam.scope: tags: the same mix, resources named by the greenlight:stack tag. */
    tags: { largestPolicyChars: sizes('tags', [1, 30, 300, 1000]) },
    manyApps,
  };
}

/** The packaged template for 1 app, the most apps that fit by name, and 300 apps by tag (resources of CloudFormation's 500, bytes of its 1 MB). */
function templates(scale: ReturnType<typeof iamScale>) {
  return {
    ...Object.fromEntries([1, scale.mostAppsThatFit].map((n) => [n, packagedTemplate(scale.manyApps(n))])),
    '300 (iam.scope: tags)': packagedTemplate(scale.manyApps(300, { scope: 'tags' })),
  };
}
