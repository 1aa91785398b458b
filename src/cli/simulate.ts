import { writeFileSync } from 'node:fs';
import { loadScenarioFile, type SimulationResult, simulate } from '../local/simulate.js';
import { VirtualClock } from '../sim/clock.js';
import { scenarioNames, scenarioPath, UsageError } from './scenarios.js';

export async function runSimulateCommand(path: string, json: boolean, plot?: string): Promise<number> {
  let scenario: ReturnType<typeof loadScenarioFile>;
  try {
    scenario = loadScenarioFile(path);
  } catch (err) {
    // A scenario that does not validate is the user's input to fix: named field, exit 2.
    throw new UsageError((err as Error).message);
  }
  const result = await simulate(scenario);
  if (plot) {
    const { renderPlot } = await import('../local/plot.js');
    writeFileSync(plot, renderPlot(result));
    if (!json) process.stdout.write(`plot written to ${plot}\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
  else process.stdout.write(renderTimeline(result));
  // 0: every guarantee held, the scenario's expected result included; 1: a violation (listed).
  return result.summary.invariantViolations.length === 0 ? 0 : 1;
}

export function renderTimeline(r: SimulationResult): string {
  const clock = new VirtualClock();
  const s = r.summary;
  const lines = [`scenario ${s.scenario}: releasing ${s.app} ${s.version ?? ''}`.trimEnd(), ''];
  for (const e of r.timeline) lines.push(`t=${clock.stamp(e.t)} ${e.text}`);
  const ratio = s.liveOverBound === null ? '' : ` (${s.liveOverBound}× the physical limit of ${s.greenReadyBoundSeconds} s)`;
  lines.push(
    '',
    `outcome          ${s.outcome}${s.reason ? `: ${s.reason}` : ''}`,
    `live             ${s.liveColor} ${s.liveVersion ?? ''}`,
    `time to live     ${s.timeToLiveSeconds === null ? 'n/a' : `${s.timeToLiveSeconds} s${ratio}`}`,
    `requests         ${s.requests}, failedRequests ${s.failedRequests}`,
    `aws calls        ${s.awsCalls} (${s.mutatingCalls} mutating), state transitions ${s.stateTransitions}`,
    `executions       ${s.executions}, releases ${s.releases}, virtual time ${s.virtualSeconds} s`,
  );
  if (s.prodRequestsToGreen !== undefined) lines.push(`test traffic     production requests answered by ${s.version}: ${s.prodRequestsToGreen}`);
  if (s.rollbackLatencySeconds !== undefined)
    lines.push(`alarm rollback   route all on ${s.liveColor} again ${s.rollbackLatencySeconds ?? 'never'} s after the guard alarm's state change`);
  if (s.interleaved !== undefined) lines.push(`concurrency      ${s.uploads} uploads; interleaved ${s.interleaved}, superseded ${s.superseded}; newest ${s.version} ${s.liveVersion === s.version ? 'is live' : 'is NOT live'}`);
  if (s.events && Object.keys(s.events).length)
    lines.push(`notifications    ${Object.entries(s.events).map(([k, v]) => `${k} ×${v}`).join(', ')}; ${s.historyRecords} history records`);
  if (s.replacementSeconds !== undefined) lines.push(`replacement      every request answered again ${s.replacementSeconds ?? 'never'} s after the fault`);
  if (s.desiredCount !== undefined)
    lines.push(
      `task count       desiredCount ${s.desiredCount}, expected ${s.expectedDesiredCount}; tasksStoppedWhileServing ${s.tasksStoppedWhileServing}`,
      `lifecycle        ${s.lifecycleEvents} events (${s.eventsDropped} lost), ${s.lifecycleActionsCompleted} completed, ${s.lifecycleActionsAbandoned} abandoned, ${s.lifecycleActionsTimedOut} timed out; ${s.capacityExecutions} capacity executions; ${s.awsCallsPerEvent} AWS calls per event`,
    );
  lines.push(`history          at most ${s.maxHistoryEvents} Step Functions history events in one execution (limit 25,000)`);
  lines.push(s.invariantViolations.length ? `invariants       ${s.invariantViolations.length} VIOLATED:\n${s.invariantViolations.map((v) => `  - ${v}`).join('\n')}` : 'invariants       all held');
  lines.push('');
  return lines.join('\n');
}

export function listScenarios(json = false): number {
  const all = scenarioNames().map((name) => {
    const s = loadScenarioFile(scenarioPath(name));
    return { name, description: s.description.replace(/\s+/g, ' ').trim(), expect: s.expect ?? null };
  });
  if (json) process.stdout.write(`${JSON.stringify({ scenarios: all })}\n`);
  else for (const s of all) process.stdout.write(`${s.name.padEnd(24)} ${s.description.slice(0, 100)}\n`);
  return 0;
}
