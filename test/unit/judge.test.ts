import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/core/config.js';
import { describeJudgement, hodgesLehmann, judge, mannWhitney, normalUpperTail } from '../../src/core/judge.js';

/** The one-sided p-value by enumerating every split of the pooled values (the definition the test approximates). */
function permutationP(canary: number[], baseline: number[]): number {
  const pooled = [...canary, ...baseline];
  const m = canary.length;
  const u = (c: number[], b: number[]) => c.reduce((s, x) => s + b.reduce((t, y) => t + (x > y ? 1 : x === y ? 0.5 : 0), 0), 0);
  const observed = u(canary, baseline);
  let hits = 0;
  let total = 0;
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === m) {
      const c = chosen.map((i) => pooled[i]);
      const b = pooled.filter((_, i) => !chosen.includes(i));
      total++;
      if (u(c, b) >= observed - 1e-9) hits++;
      return;
    }
    for (let i = start; i < pooled.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return hits / total;
}

/** A seeded stream for sample data. */
function stream(seed: number) {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
}

describe('Function: mannWhitney', () => {
  it('is exact for small samples without ties: 3 larger than 3 gives 1/20', () => {
    expect(mannWhitney([4, 5, 6], [1, 2, 3])).toEqual({ u: 9, p: 0.05, method: 'exact' });
    expect(mannWhitney([1, 2, 3], [4, 5, 6])).toEqual({ u: 0, p: 1, method: 'exact' });
  });

  it('equals the permutation p-value for random samples without ties', () => {
    const r = stream(7);
    for (let k = 0; k < 12; k++) {
      const c = Array.from({ length: 3 + (k % 4) }, () => r() + 0.1 * (k % 3));
      const b = Array.from({ length: 4 + (k % 3) }, () => r());
      expect(mannWhitney(c, b).p).toBeCloseTo(permutationP(c, b), 10);
    }
  });

  it('with ties, the normal approximation stays within 0.03 of the permutation p-value', () => {
    const r = stream(11);
    for (let k = 0; k < 8; k++) {
      const c = Array.from({ length: 8 }, () => Math.round(r() * 4 + (k % 2)));
      const b = Array.from({ length: 7 }, () => Math.round(r() * 4));
      const t = mannWhitney(c, b);
      expect(t.method).toBe('normal');
      expect(Math.abs(t.p - permutationP(c, b))).toBeLessThan(0.03);
    }
  });

  it('all values equal: no evidence either way (p = 1 is not claimed as a shift)', () => {
    expect(mannWhitney([0, 0, 0, 0], [0, 0, 0, 0]).p).toBeGreaterThanOrEqual(0.5);
  });

  it('refuses an empty side', () => {
    expect(() => mannWhitney([], [1])).toThrow(/at least one value on each side/);
  });
});

describe('Function: normalUpperTail and hodgesLehmann', () => {
  it('normal tail at known points', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 6);
    expect(normalUpperTail(1.6448536)).toBeCloseTo(0.05, 5);
    expect(normalUpperTail(-1.959964)).toBeCloseTo(0.975, 5);
  });
  it('the median of the pairwise differences', () => {
    expect(hodgesLehmann([10, 11, 12], [1, 2, 3])).toBe(9);
    expect(hodgesLehmann([1, 2], [1, 2])).toBe(0);
  });
});

describe('Function: judge', () => {
  const opts = { alpha: 0.05, passScore: 95, marginalScore: 50 };
  const worse = { name: 'errors' as const, canary: [2.4, 2.6, 2.9, 2.2, 2.7], baseline: [0.5, 0.4, 0.6, 0.5, 0.7], tolerance: 0.5 };
  const same = { name: 'latency' as const, canary: [40, 42, 41, 39, 43], baseline: [41, 40, 42, 43, 39], tolerance: 20 };
  it('fails a metric that is significantly and substantially worse; the score is the passing share', () => {
    const j = judge([worse, same], opts);
    expect(j.metrics.map((m) => m.result)).toEqual(['high', 'pass']);
    expect(j).toMatchObject({ score: 50, verdict: 'marginal' });
    expect(judge([worse, same], { ...opts, marginalScore: 75 }).verdict).toBe('fail');
    expect(judge([same], opts)).toMatchObject({ score: 100, verdict: 'pass' });
    expect(describeJudgement(j)).toMatch(/^score 50: errors high \(p=0\.006, shift \+2 points; canary 2\.56 vs baseline 0\.54, 5\/5 periods\); latency pass \(p=0\.54/);
  });
  it('a significant shift within the tolerance passes', () => {
    expect(judge([{ ...worse, tolerance: 3 }], opts).metrics[0]).toMatchObject({ result: 'pass' });
  });
  it('a lower canary (better) never fails: the test is one-sided', () => {
    expect(judge([{ ...worse, canary: worse.baseline, baseline: worse.canary }], opts).metrics[0]).toMatchObject({ result: 'pass' });
  });
});

describe('Configuration: judge', () => {
  const app = (extra: Record<string, unknown>) => ({
    apps: {
      web: {
        kind: 'asg',
        listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shared/0123456789abcdef/0123456789abcdef',
        launchTemplateId: 'lt-0123456789abcdef0',
        artifact: { type: 'ami' },
        blue: { autoScalingGroupName: 'web-blue', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef' },
        green: { autoScalingGroupName: 'web-green', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/0123456789abcdef' },
        ...extra,
      },
    },
  });
  it('defaults: both metrics, 60 s periods, 5 of them, alpha 0.05, Kayenta-like scores 95 / 75', () => {
    const c = parseConfig(app({ traffic: { strategy: 'canary', percent: 10, bakeSeconds: 600 }, judge: {} }));
    expect((c.apps.web as { judge: unknown }).judge).toEqual({ metrics: ['errors', 'latency'], periodSeconds: 60, minPeriods: 5, alpha: 0.05, tolerance: { errorsPoints: 0.5, latencyMs: 20 }, passScore: 95, marginalScore: 75 });
  });
  it.each([
    [{ judge: {} }, /judge: .*set traffic\.strategy to canary, linear or custom, or remove judge/],
    [{ traffic: { strategy: 'canary', percent: 10, bakeSeconds: 300 }, judge: {} }, /traffic: .*at least \(minPeriods \+ 2\) × periodSeconds = 420 s .* the shortest is 300 s/],
    [{ traffic: { strategy: 'linear', stepPercent: 25, intervalSeconds: 120 }, judge: { minPeriods: 3 } }, /the shortest is 120 s/],
    [{ traffic: { strategy: 'canary', percent: 10, bakeSeconds: 600 }, judge: { periodSeconds: 90 } }, /judge\.periodSeconds.*multiple of 60/],
    [{ traffic: { strategy: 'canary', percent: 10, bakeSeconds: 600 }, judge: { marginalScore: 99 } }, /marginalScore must not exceed passScore/],
    [{ traffic: { strategy: 'canary', percent: 10, bakeSeconds: 600 }, judge: { metrics: ['errors', 'cpu'] } }, /judge\.metrics/],
  ])('refuses %j, naming the field and the fix', (extra, message) => {
    expect(() => parseConfig(app(extra))).toThrow(message);
  });
});
