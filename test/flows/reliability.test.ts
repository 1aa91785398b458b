import { describe, expect, it } from '@jest/globals';
import { faultMatrix } from '../../src/cli/faults.js';
import { fuzz } from '../../src/cli/fuzz.js';

// The fast subsets of `npm run test:faults` and `npm run fuzz` (the full runs are in docs/reliability.md).

describe('Reliability: fast subsets', () => {
  it('fuzz: every class of bad input is rejected by the check meant for it, with zero mutating calls, and a valid control passes', async () => {
    const r = await fuzz({ perClass: 25, seed: 7 });
    expect(r.classes.length).toBeGreaterThanOrEqual(20);
    for (const c of r.classes) expect({ class: c.class, rejected: c.rejectedByIntendedCheck }).toEqual({ class: c.class, rejected: c.inputs });
    expect(r).toMatchObject({ rejectedByIntendedCheck: r.inputs, mutatingCalls: 0, controlAccepted: true, misses: [] });
  });

  it('faults: every injected fault at a sample of call sites fires and ends consistent', async () => {
    const r = await faultMatrix({ quick: true });
    expect(r.scenarios).toBeGreaterThanOrEqual(20);
    expect(r.failures).toEqual([]);
    // Runs whose fault never fired prove nothing: they are not counted as consistent.
    expect(r.consistent).toBe(r.fired);
    expect(r.fired + r.notReached).toBe(r.scenarios);
    expect(r.fired).toBeGreaterThanOrEqual(Math.ceil(r.scenarios * 0.8));
  }, 300_000);
});

describe('Reliability: a redrive after a crash at any state finishes the release', () => {
  it('rerun-after-crash: converged == crashPoints, no failed request', async () => {
    const { rerunAfterCrash } = await import('../../src/cli/rerun.js');
    const r = await rerunAfterCrash();
    expect(r.crashPoints).toBe(12); // every Task and Wait state of a release, the lock's and the Finish step included
    expect(r.results.filter((x) => !x.converged)).toEqual([]);
    expect(r).toMatchObject({ converged: r.crashPoints, failedRequests: 0 });
  }, 120_000);
});

describe('Reliability: matrix runs that failed once, each by its id (fails before its fix)', () => {
  // Each id is what `npm run test:faults -- --case <id>` runs: the base, then that one run.
  const runs: [string, string][] = [
    ['alarm-rollback/guard:ModifyListener/access-denied', 'the guard, denied its own flip, starts a rollback execution instead of handing the lock back to the release it stopped'],
    ['upload-at-approval/plan:DescribeListeners/stale-read', 'a stale route read in Plan is caught by PrepareGreen before any change, and the release plans again (ReplanWait)'],
    ['guard-during-switch/rollback:DescribeListeners/stale-read', 'a rollback writes the route back whatever a (stale) read says, before it scales green down'],
    ['upload-at-approval/random/seed=20263858/run=5', 'the newest upload failing at its lock is judged as itself, not as the release before it'],
    ['double-alarm/green-fails-after-check', 'a guard rollback whose target fails its health check leaves what served before it, and is judged so'],
  ];
  it.each(runs)('%s: %s', async (id) => {
    const r = await faultMatrix({ quick: false, only: id.split('/')[0], runId: id, quietTimeline: true });
    expect(r.failures.map((f) => `${f.seed}: ${f.reasons.join('; ')}`)).toEqual([]);
    // The baseline and the run itself, and the run's fault fired.
    expect({ scenarios: r.scenarios, fired: r.fired }).toEqual({ scenarios: 2, fired: 2 });
  }, 60_000);
});
