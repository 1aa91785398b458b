import { describe, expect, it } from '@jest/globals';
import { CHECK_MARGIN_MS, nextGreenCheck } from '../../src/core/green-timing.js';

const T0 = Date.parse('2026-01-05T09:00:00Z');
const hc = { intervalSeconds: 15, healthyThresholdCount: 5 };
const base = { now: T0, pollSeconds: 5, deadline: T0 + 900_000, desired: 4, inService: 4, healthCheck: hc, lastRegisteredAt: T0 - 10_000 };

describe('Function: nextGreenCheck', () => {
  it('wakes at the last registration + interval × threshold (plus the margin), not at the next poll', () => {
    const next = nextGreenCheck(base);
    expect(next.at).toBe(T0 - 10_000 + 75_000 + CHECK_MARGIN_MS);
    expect(next.why).toContain('check 5');
  });
  it('past that instant, wakes at the next health check instant (a target turns healthy only at a check)', () => {
    const next = nextGreenCheck({ ...base, now: T0 - 10_000 + 75_000 + CHECK_MARGIN_MS + 1 });
    expect(next.at).toBe(T0 - 10_000 + 90_000 + CHECK_MARGIN_MS);
    const later = nextGreenCheck({ ...base, now: T0 - 10_000 + 200_000 });
    expect(later.at).toBe(T0 - 10_000 + 210_000 + CHECK_MARGIN_MS);
    expect(later.at).toBeGreaterThan(T0 - 10_000 + 200_000);
  });
  it('while targets are not all registered, green cannot be healthy sooner than interval × threshold from now', () => {
    expect(nextGreenCheck({ ...base, inService: 2, lastRegisteredAt: null }).at).toBe(T0 + 75_000);
  });
  it('polls when the timing is unknown: no health check read, no registration time, or eip', () => {
    expect(nextGreenCheck({ ...base, healthCheck: null }).at).toBe(T0 + 5_000);
    expect(nextGreenCheck({ ...base, lastRegisteredAt: null }).at).toBe(T0 + 5_000);
    expect(nextGreenCheck({ ...base, desired: 0 }).at).toBe(T0 + 5_000);
  });
  it('never sleeps past the deadline: it wakes just after it, so that the check there times green out', () => {
    const next = nextGreenCheck({ ...base, inService: 0, lastRegisteredAt: null, deadline: T0 + 30_000 });
    expect(next.at).toBe(T0 + 31_000);
    expect(next.why).toContain('capped at the deadline');
  });
});
