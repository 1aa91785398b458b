import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../../src/local/definitions.js';
import { loadScenarioFile, type SimulationResult, simulate } from '../../src/local/simulate.js';
import { SIM_TABLE } from '../../src/sim/build.js';
import { greenShares, mutatingCalls, runShipped } from './helpers.js';

// Statistical canary judgement (judge:): at the end of the canary's bake, green's per-minute
// load balancer metrics against blue's, read from CloudWatch (GetMetricData), by a one-sided
// Mann-Whitney U test (src/core/judge.ts).

function history(r: SimulationResult): { reason: string; judgement: string }[] {
  return r.world.dynamodb
    .query({ TableName: SIM_TABLE, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': { S: 'app#web' }, ':p': { S: 'release#' } } })
    .Items.map((i) => ({ reason: i.reason?.S ?? '', judgement: i.judgement?.S ?? '' }));
}

const variant = (name: string, change: (s: ReturnType<typeof loadScenarioFile>) => void) => {
  const s = loadScenarioFile(join(ROOT, 'scenarios', `${name}.yml`));
  change(s);
  return simulate(s);
};

describe('Flow: statistical canary judgement', () => {
  it('canary-judge-bad: 2 points more 5xx on the canary rolls back at the end of the bake, p-value and shift in the reason and the history', async () => {
    const r = await runShipped('canary-judge-bad');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1', failedRequests: 0, invariantViolations: [] });
    const reason = /CanaryJudgedBad: canary judged fail at 10% \(green 1\.4\.2 against blue 1\.4\.1, (\d+)\/(\d+) periods of 60 s, Mann-Whitney U, alpha 0\.05\): score 50: errors high \(p=([\d.e-]+), shift \+([\d.]+) points.*latency pass/;
    expect(r.summary.reason).toMatch(reason);
    const [, canaryPeriods, , p, shift] = reason.exec(r.summary.reason ?? '')!;
    expect(Number(canaryPeriods)).toBeGreaterThanOrEqual(5);
    expect(Number(p)).toBeLessThan(0.05);
    // The canary's 5xx rate is 2.5%, the baseline's 0.5%: the estimated shift is near 2 points.
    expect(Number(shift)).toBeGreaterThan(1);
    expect(Number(shift)).toBeLessThan(3);
    expect(history(r)).toEqual([{ reason: expect.stringContaining('errors high (p='), judgement: '' }]);
    // The canary's 10% and back: traffic never went further than the canary.
    expect(greenShares(r, 'web').map((s) => s.percent)).toEqual([10, 0]);
    // Judged after the bake (10 min), read once: one GetMetricData by switchTraffic.
    const reads = r.calls.filter((c) => c.command === 'GetMetricData');
    expect(reads.map((c) => c.caller)).toEqual(['switchTraffic']);
    const shifted = r.world.elb.routeChanges[0].t;
    expect(reads[0].t - shifted).toBeGreaterThanOrEqual(600);
  });

  it('canary-judge-good: the same distributions pass (score 100) and the release goes live, the judgement in the Traffic Shifted event', async () => {
    const r = await runShipped('canary-judge-good');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2', failedRequests: 0, invariantViolations: [] });
    expect(greenShares(r, 'web').map((s) => s.percent)).toEqual([10, 100]);
    const shifted = r.world.published.filter((e) => e.source === 'greenlight' && e.detailType === 'Traffic Shifted').map((e) => e.detail as { percent: number; judgement?: string });
    expect(shifted.map((d) => d.percent)).toEqual([10, 100]);
    expect(shifted[1].judgement).toMatch(/^pass, score 100: errors pass \(p=[\d.e-]+, shift [+-][\d.e-]+ points; .*latency pass/);
    expect(shifted[0].judgement).toBeUndefined();
    expect(history(r)).toEqual([{ reason: '', judgement: shifted[1].judgement }]);
  });

  it('ECS: a canary of tasks with more 5xx is judged the same way (the live colour\'s tasks are the baseline)', async () => {
    const r = await variant('ecs-release', (s) => {
      s.apps[0].requestsPerSecond = 50;
      Object.assign(s.apps[0].greenlight, { traffic: { strategy: 'canary', percent: 10, bakeSeconds: 600 }, judge: { metrics: ['errors'] } });
      s.responses = { errorRate: 0.005, latencyMs: 40, latencySigma: 0.3, versions: [{ version: '3.3.0', errorRate: 0.03 }] };
      s.expect = { outcome: 'rolled-back', liveVersion: '3.2.0' };
    });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '3.2.0', invariantViolations: [] });
    expect(r.summary.reason).toMatch(/CanaryJudgedBad: canary judged fail at 10% \(green 3\.3\.0 against blue 3\.2\.0.*score 0: errors high/);
  });

  it('linear: every step\'s bake is judged; a bad version stops at the first, a good one is judged at each step', async () => {
    const linear = (s: ReturnType<typeof loadScenarioFile>) => Object.assign(s.apps[0].greenlight, { traffic: { strategy: 'linear', stepPercent: 25, intervalSeconds: 420 } });
    const bad = await variant('canary-judge-bad', linear);
    expect(bad.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1' });
    expect(bad.summary.reason).toMatch(/canary judged fail at 25% /);
    expect(greenShares(bad, 'web').map((s) => s.percent)).toEqual([25, 0]);
    const good = await variant('canary-judge-good', linear);
    expect(good.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2' });
    const judged = good.world.published.filter((e) => e.detailType === 'Traffic Shifted').map((e) => [(e.detail as { percent: number }).percent, (e.detail as { judgement?: string }).judgement?.split(',')[0]]);
    expect(judged).toEqual([[25, undefined], [50, 'pass'], [75, 'pass'], [100, 'pass']]);
  });

  it('a canary slower by 30 ms fails on latency alone', async () => {
    const r = await variant('canary-judge-good', (s) => {
      s.responses.versions = [{ version: '1.4.2', latencyMs: 70 }];
    });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1' });
    expect(r.summary.reason).toMatch(/score 50: errors pass .*latency high \(p=[\d.e-]+, shift \+[23]\d(\.\d+)? ms/);
  });

  it('a shift within the tolerance passes even when significant (+10 ms, tolerance 20 ms)', async () => {
    const r = await variant('canary-judge-good', (s) => {
      s.responses.versions = [{ version: '1.4.2', latencyMs: 50 }];
    });
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2' });
    const judged = r.world.published.filter((e) => e.detailType === 'Traffic Shifted').map((e) => (e.detail as { judgement?: string }).judgement ?? '');
    // Significant (p far below alpha), but not by more than the tolerance: the metric passes.
    const [, p, shift] = /latency pass \(p=([\d.e-]+), shift \+([\d.]+) ms/.exec(judged[1]) ?? [];
    expect(Number(p)).toBeLessThan(0.001);
    expect(Number(shift)).toBeGreaterThan(5);
    expect(Number(shift)).toBeLessThan(20);
  });

  it('metrics CloudWatch publishes late: the judgement waits (JudgementPending, retried every 30 s), then judges', async () => {
    const r = await variant('canary-judge-bad', (s) => {
      // 8 periods needed; 2.5 min of delay leaves 6 readable at the bake's end.
      s.metricDelaySeconds = 150;
      (s.apps[0].greenlight as { judge: Record<string, unknown> }).judge.minPeriods = 8;
    });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1' });
    expect(r.summary.reason).toMatch(/CanaryJudgedBad: .* 8\/\d+ periods of 60 s/);
    const reads = r.calls.filter((c) => c.command === 'GetMetricData');
    expect(reads.length).toBeGreaterThan(1);
    expect(reads[1].t - reads[0].t).toBeGreaterThanOrEqual(30);
  });

  it('metrics that never come in time: rolled back, saying how many periods were readable, nothing else changed', async () => {
    const r = await variant('canary-judge-good', (s) => {
      s.metricDelaySeconds = 900;
    });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1' });
    expect(r.summary.reason).toMatch(/JudgementPending: canary judgement: 0 period\(s\) of green's metrics and 0 of blue's are readable since .*judge\.minPeriods is 5/);
    expect(r.calls.filter((c) => c.command === 'GetMetricData')).toHaveLength(5);
    // Only the canary and its rollback moved traffic.
    expect(mutatingCalls(r, 'ModifyListener')).toHaveLength(2);
  });
});
