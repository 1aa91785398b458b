import { describe, expect, it } from '@jest/globals';
import { faultMatrix, invariants } from '../../src/cli/faults.js';
import { fuzz } from '../../src/cli/fuzz.js';
import { runInline } from './helpers.js';

// The fast subsets of `npm run test:faults` and `npm run fuzz` (the full runs are in docs/reliability.md).

describe('Reliability: fast subsets', () => {
  it('fuzz: bad inputs are all rejected with zero mutating calls, and a valid control passes', async () => {
    const r = await fuzz({ perClass: 60, seed: 7 });
    expect(r.inputs).toBeGreaterThanOrEqual(230);
    expect(r).toMatchObject({ rejected: r.inputs, mutatingCalls: 0, controlAccepted: true, accepted: [], notValidationErrors: [] });
  });

  it('faults: every injected fault at a sample of call sites ends consistent', async () => {
    const r = await faultMatrix({ quick: true });
    expect(r.scenarios).toBeGreaterThanOrEqual(20);
    expect(r.failures).toEqual([]);
    expect(r.consistent).toBe(r.scenarios);
  }, 300_000);

  it('the invariants can fail: a half-switched route is caught', async () => {
    const scenario = {
      apps: [{ name: 'web', instances: 2, healthCheck: { intervalSeconds: 10, healthyThresholdCount: 2, unhealthyThresholdCount: 2 }, deregistrationDelaySeconds: 5 }],
      steps: [{ at: 5, startRelease: { input: { app: 'web', version: '9.9.9' } } }],
    };
    const r = await runInline(scenario);
    // Tamper with the world after the run: split the route by hand.
    const listener = [...r.world.listeners.values()][0];
    const [blue, green] = [...r.world.targetGroups.keys()];
    listener.defaultActions = [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 50 }, { TargetGroupArn: green, Weight: 50 }] } }];
    const { loadScenario, simulate: _s } = await import('../../src/local/simulate.js');
    const s = loadScenario({ name: 'inline', description: 'test', ...scenario });
    const summary = { ...r.summary, liveColor: 'split(blue+green)' };
    expect(invariants(s, { ...r, summary })).toEqual(expect.arrayContaining([expect.stringMatching(/^3: half-switched/)]));
  });
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
