import { type CapacitySummary, loadScenarioFile, type Summary, simulate } from '../local/simulate.js';
import { scenarioNames, scenarioPath } from './scenarios.js';

// Figures, not pass/fail: every shipped scenario, its outcome and what it cost.

export async function runBench(json: boolean): Promise<number> {
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
  if (json) {
    process.stdout.write(`${JSON.stringify({ scenarios: rows, scaling })}\n`);
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
  process.stdout.write(`\nBy fleet size (the per-release cost should not grow with the fleet):\n`);
  process.stdout.write(`${['scenario', 'size', 'outcome', 'aws calls', 'mutating', 'transitions', 'ttl/bound', 'failed'].map((h) => h.padStart(13)).join('')}\n`);
  for (const r of scaling)
    process.stdout.write(`${[r.scenario, r.size, r.outcome, r.awsCalls, r.mutatingCalls, r.stateTransitions, r.liveOverBound ?? '-', r.failedRequests].map((c) => String(c).padStart(13)).join('')}\n`);
  return 0;
}

function printTable<R>(cols: [string, (r: R) => string][], rows: R[]): void {
  const table = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => f(r)))];
  const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) process.stdout.write(`${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}\n`);
}

/** The happy paths at growing fleet sizes: instances (asg), tasks (ecs on Fargate). */
async function fleetSweep() {
  const out = [];
  for (const [name, sizes] of [
    ['asg-release', [2, 20, 200]],
    ['ecs-release', [2, 20, 200]],
  ] as const) {
    const base = loadScenarioFile(scenarioPath(name));
    for (const size of sizes) {
      const apps = base.apps.map((a) => (a.kind === 'ecs' ? { ...a, tasks: size } : a.kind === 'asg' ? { ...a, instances: size } : a));
      const { summary } = await simulate({ ...base, name, apps });
      out.push({ size, ...summary });
    }
  }
  return out;
}
