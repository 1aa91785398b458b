import fc from 'fast-check';
import { loadScenarioFile, type SimulationResult, simulate } from '../local/simulate.js';
import type { FaultRule } from '../local/transport.js';
import type { Scenario } from '../sim/scenario.js';
import { scenarioPath } from './scenarios.js';

// The fault matrix: at every AWS call site (function × command) of a run, each fault in turn,
// then randomised schedules (fast-check, seeded). Every run is checked against the invariants.

const BASES = ['asg-release', 'asg-rule-route', 'ecs-release', 'ecs-ec2-release', 'eip-release', 'ecs-scale-in'];
const QUICK = ['asg-release'];
const KINDS: { kind: FaultRule['kind']; times: number; seconds?: number; readsOnly?: boolean }[] = [
  { kind: 'throttle', times: 3 },
  { kind: 'server-error', times: 1 },
  { kind: 'access-denied', times: 1000 },
  { kind: 'crash', times: 1 },
  { kind: 'stale-read', times: 1, seconds: 5, readsOnly: true },
];

export interface Failure {
  scenario: string;
  faults: FaultRule[];
  seed: string;
  reasons: string[];
}

/** Invariant 4 exempts an injected fault on the live colour itself: being denied the drain of a live instance. */
const DRAIN_CALLERS = new Set(['drainStart', 'drainCheck']);
function exemptFromFailedRequests(faults: FaultRule[]): boolean {
  return faults.some((f) => f.kind === 'access-denied' && DRAIN_CALLERS.has(f.caller ?? ''));
}

/** The invariants every run must keep, whatever was injected. */
export function invariants(s: Scenario, r: SimulationResult): string[] {
  const bad: string[] = [];
  const sum = r.summary;
  const app = s.apps.find((a) => a.name === sum.app)!;
  if (r.traffic.toColourWithoutHealthyTarget > 0) bad.push(`1: ${r.traffic.toColourWithoutHealthyTarget} requests went to a colour with no healthy target`);
  const w = r.world;
  if (app.kind === 'asg') {
    const total = w.group(`${app.name}-blue`).desired + w.group(`${app.name}-green`).desired;
    if (total === 0) bad.push('2: both colours ended at zero capacity');
  } else if (app.kind === 'ecs') {
    const svc = [...w.ecs.services.values()].filter((x) => x.name.startsWith(`${app.name}-`));
    if (svc.every((x) => x.desiredCount === 0) && app.tasks > 0) bad.push('2: both colours ended at zero tasks');
  } else {
    const holder = [...w.ec2.addresses.values()][0]?.instanceId;
    if (!holder || w.instances.get(holder)?.state !== 'running') bad.push('2: the Elastic IP ended on no running server');
  }
  if (sum.liveColor.startsWith('split') || sum.liveColor === 'none') bad.push(`3: half-switched: live colour ${sum.liveColor}`);
  const versions = new Set([app.initialVersion, sum.version]);
  if (sum.liveVersion !== null && !versions.has(sum.liveVersion)) bad.push(`3: live version ${sum.liveVersion} is neither the old nor the new one`);
  if (!['released', 'rolled-back', 'rejected', 'failed', 'converged', 'replaced'].includes(sum.outcome)) bad.push(`3: outcome ${sum.outcome}`);
  if (sum.outcome === 'failed' && /simulation limit/.test(sum.reason ?? '')) bad.push(`3: did not finish: ${sum.reason}`);
  if (sum.failedRequests > 0) bad.push(`4: ${sum.failedRequests} failed requests`);
  if (sum.desiredCount !== undefined && sum.desiredCount !== sum.expectedDesiredCount) bad.push(`5: desiredCount ${sum.desiredCount} ≠ expected ${sum.expectedDesiredCount}`);
  return bad;
}

async function check(base: Scenario, faults: FaultRule[], seed: string, failures: Failure[], exempt: string[]): Promise<boolean> {
  // Capacity runs last past a hook timeout (300 s) and a scheduled reconcile (every 5 min), the
  // mechanisms that heal what a failed execution left.
  const capacity = base.apps.some((a) => a.kind === 'ecs' && a.greenlight.scaling);
  const s = { ...base, faults, minSeconds: capacity ? Math.max(base.minSeconds, 700) : base.minSeconds };
  const r = await simulate(s);
  let reasons = invariants(s, r);
  if (exemptFromFailedRequests(faults) && reasons.some((x) => x.startsWith('4:'))) {
    exempt.push(`${seed}: ${reasons.find((x) => x.startsWith('4:'))}`);
    reasons = reasons.filter((x) => !x.startsWith('4:'));
  }
  if (reasons.length) failures.push({ scenario: base.name, faults, seed, reasons });
  return reasons.length === 0;
}

export async function runFaults(json: boolean, quick: boolean, only?: string): Promise<number> {
  const r = await faultMatrix({ quick, only, progress: json ? undefined : (c) => process.stdout.write(c) });
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    process.stdout.write(`\n${r.scenarios} scenarios, ${r.consistent} consistent\n`);
    for (const e of r.exemptFromInvariant4) process.stdout.write(`  exempt (fault on the live colour itself): ${e}\n`);
    for (const f of r.failures.slice(0, 20)) process.stdout.write(`  ${f.seed}: ${f.reasons.join('; ')}\n`);
  }
  return r.scenarios === r.consistent ? 0 : 1;
}

export async function faultMatrix(opts: { quick: boolean; only?: string; randomRuns?: number; seed?: number; progress?: (c: string) => void }) {
  const { quick, only, randomRuns = 5, seed = 20261126, progress = () => {} } = opts;
  const failures: Failure[] = [];
  const exempt: string[] = [];
  let scenarios = 0;
  let consistent = 0;
  for (const name of only ? [only] : quick ? QUICK : BASES) {
    const loaded = loadScenarioFile(scenarioPath(name));
    // The quick subset shortens the keep-warm window (the faults it injects are the same).
    const base = quick ? { ...loaded, apps: loaded.apps.map((a) => ({ ...a, greenlight: { ...a.greenlight, retire: { keepWarmInstances: 1, keepWarmMinutes: 1 } } })) } : loaded;
    const baseline = await simulate(base);
    const sites = [...new Map(baseline.calls.filter((c) => c.service !== 'sfn').map((c) => [`${c.caller}:${c.command}`, c])).values()];
    const chosen = quick ? sites.filter((_, i) => i % 4 === 0) : sites;
    for (const site of chosen) {
      for (const k of KINDS) {
        if (k.readsOnly && site.mutating) continue;
        const fault: FaultRule = { command: site.command, caller: site.caller, kind: k.kind, times: k.times, ...(k.seconds ? { seconds: k.seconds } : {}) };
        scenarios++;
        if (await check(base, [fault], `${name}/${site.caller}:${site.command}/${k.kind}`, failures, exempt)) consistent++;
        progress('.');
      }
    }
    // Randomised schedules over the same sites: reproducible from (seed, index).
    const arb = fc.array(
      fc.record({
        site: fc.constantFrom(...sites),
        kind: fc.constantFrom(...KINDS.filter((k) => !k.readsOnly)),
        skip: fc.nat({ max: 3 }),
      }),
      { minLength: 1, maxLength: 4 },
    );
    const schedules = fc.sample(arb, { seed: seed + scenarios, numRuns: quick ? 1 : randomRuns });
    for (const [i, schedule] of schedules.entries()) {
      const faults = schedule.map((f) => ({ command: f.site.command, caller: f.site.caller, kind: f.kind.kind, times: f.kind.kind === 'access-denied' ? 1 : f.kind.times, skip: f.skip }));
      scenarios++;
      if (await check(base, faults, `${name}/random/seed=${seed + scenarios - i - 1}/run=${i}`, failures, exempt)) consistent++;
      progress('*');
    }
  }
  return { scenarios, consistent, failures, exemptFromInvariant4: exempt };
}
