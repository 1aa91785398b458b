import { loadScenarioFile, simulate } from '../local/simulate.js';
import { scenarioPath } from './scenarios.js';

// rerun-after-crash: the release dies at each of its Task and Wait states in turn and is
// redriven (Step Functions redrive: resume at the failed state with its input). Every one must
// end released, with the old colour retired, one launch-template version, and no failed request.

export async function rerunAfterCrash(base = 'asg-release') {
  const loaded = loadScenarioFile(scenarioPath(base));
  const scenario = { ...loaded, apps: loaded.apps.map((a) => ({ ...a, greenlight: { ...a.greenlight, retire: { keepWarmInstances: 1, keepWarmMinutes: 2 } } })) };
  const clean = await simulate(scenario);
  const release = clean.executions.find((e) => e.name.startsWith(`${clean.summary.app}-`))!;
  const taskStates = new Set(['Resolve', 'Acquire', 'Plan', 'PrepareGreen', 'WaitForGreen', 'CheckGreen', 'SwitchTraffic', 'RetireStep', 'YieldWhileWarm', 'RetireWait', 'Reclaim', 'FinishReleased']);
  const points = [...new Set(release.statesEntered.map((s) => s.name))].filter((n) => taskStates.has(n));
  const results: { state: string; converged: boolean; failedRequests: number; why: string[] }[] = [];
  for (const state of points) {
    const r = await simulate({ ...scenario, name: `${base}-crash-${state}`, crash: { state, redriveAfterSeconds: 20 } });
    const s = r.summary;
    const app = s.app;
    const exec = r.executions.find((e) => e.name.startsWith(`${app}-`))!;
    const ltVersions = r.calls.filter((c) => c.command === 'CreateLaunchTemplateVersion' && !c.error).length;
    const why: string[] = [];
    if (exec.redriveCount !== 1) why.push(`redriven ${exec.redriveCount} times`);
    if (s.outcome !== 'released') why.push(`outcome ${s.outcome}: ${s.reason}`);
    if (s.liveVersion !== s.version) why.push(`live version ${s.liveVersion}`);
    if (s.failedRequests) why.push(`${s.failedRequests} failed requests`);
    const old = s.liveColor === 'green' ? 'blue' : 'green';
    if (r.world.group(`${app}-${old}`).desired !== 0) why.push(`${old} not retired`);
    if (ltVersions !== 1) why.push(`${ltVersions} launch-template versions created`);
    results.push({ state, converged: why.length === 0, failedRequests: s.failedRequests, why });
  }
  return {
    scenario: base,
    crashPoints: points.length,
    converged: results.filter((r) => r.converged).length,
    failedRequests: results.reduce((n, r) => n + r.failedRequests, 0),
    results,
  };
}

export async function runRerunAfterCrash(json: boolean): Promise<number> {
  const r = await rerunAfterCrash();
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    for (const x of r.results) process.stdout.write(`crash at ${x.state.padEnd(15)} → ${x.converged ? 'converged' : `NOT converged: ${x.why.join('; ')}`}\n`);
    process.stdout.write(`crashPoints ${r.crashPoints}, converged ${r.converged}, failedRequests ${r.failedRequests}\n`);
  }
  return r.converged === r.crashPoints ? 0 : 1;
}
