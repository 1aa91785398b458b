import { describe, expect, it } from '@jest/globals';
import { shiftSteps } from '../../src/core/route.js';
import { greenShares, mutatingCalls, runShipped } from './helpers.js';

describe('Function: shiftSteps', () => {
  it.each([
    [{ strategy: 'all-at-once' }, [100]],
    [{ strategy: 'canary', percent: 10, bakeSeconds: 300 }, [10, 100]],
    [{ strategy: 'linear', stepPercent: 30, intervalSeconds: 60 }, [30, 60, 90, 100]],
    [{ strategy: 'custom', steps: [{ percent: 5, bakeSeconds: 60 }, { percent: 50, bakeSeconds: 60 }, { percent: 100, bakeSeconds: 60 }] }, [5, 50, 100]],
  ])('%j → %j', (t, want) => {
    const steps = shiftSteps(t);
    expect(steps.map((s) => s.percent)).toEqual(want);
    expect(steps[steps.length - 1].bakeSeconds).toBe(0);
  });
});

describe('Flow: progressive traffic shifting', () => {
  it('canary: 10% for the bake, then 100%, each step read back; no failed request', async () => {
    const r = await runShipped('canary');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2', failedRequests: 0 });
    const steps = greenShares(r, 'web');
    expect(steps.map((s) => s.percent)).toEqual([10, 100]);
    expect(mutatingCalls(r, 'ModifyListener')).toHaveLength(2);
    // During the bake about 10% of requests were answered by the new version.
    const bake = r.traffic.seconds.get('web')!.filter((s) => s.t > steps[0].t + 1 && s.t < steps[1].t);
    const total = bake.reduce((n, s) => n + s.total, 0);
    const green = bake.reduce((n, s) => n + (s.versions['1.4.2'] ?? 0), 0);
    expect(Math.abs(green / total - 0.1)).toBeLessThan(0.01);
    expect(steps[1].t - steps[0].t).toBeGreaterThanOrEqual(300);
  });

  it('linear: 25, 50, 75, 100 one minute apart', async () => {
    const r = await runShipped('linear');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '3.3.0', failedRequests: 0 });
    const shares = greenShares(r, 'api');
    expect(shares.map((s) => s.percent)).toEqual([25, 50, 75, 100]);
    const at = shares.map((s) => s.t);
    for (let k = 1; k < at.length; k++) expect(at[k] - at[k - 1]).toBeGreaterThanOrEqual(60);
  });
});
