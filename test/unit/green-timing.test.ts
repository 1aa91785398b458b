import { describe, expect, it } from '@jest/globals';
import { bakeWatchSeconds, CHECK_MARGIN_MS, nextBakeLook, nextGreenCheck } from '../../src/core/green-timing.js';

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

describe('Function: bakeWatchSeconds / nextBakeLook', () => {
  it('watches a bake once per the target group unhealthy window (interval × unhealthy threshold), never faster than the poll', () => {
    expect(bakeWatchSeconds({ intervalSeconds: 15, healthyThresholdCount: 5, unhealthyThresholdCount: 2 }, 5)).toBe(30);
    expect(bakeWatchSeconds({ intervalSeconds: 5, healthyThresholdCount: 2, unhealthyThresholdCount: 1 }, 10)).toBe(10);
    // Unknown timing (unread, or a state from before greenlight read the threshold): every poll.
    expect(bakeWatchSeconds(null, 5)).toBe(5);
    expect(bakeWatchSeconds({ intervalSeconds: 15, healthyThresholdCount: 5 }, 5)).toBe(5);
  });
  it('looks once per window and skips the look in the last window (the next step looks at green itself)', () => {
    const ends = T0 + 300_000;
    const looks: number[] = [];
    let now = T0;
    for (;;) {
      const l = nextBakeLook(now, T0, ends, 30);
      if (l.last) {
        expect(Date.parse(l.nextAt)).toBe(ends);
        break;
      }
      // Each look itself takes a moment: the next one stays on the grid.
      now = Date.parse(l.nextAt) + 700;
      looks.push((Date.parse(l.nextAt) - T0) / 1000);
    }
    expect(looks).toEqual([30, 60, 90, 120, 150, 180, 210, 240, 270]);
    // A bake shorter than one window is not looked at in between; one already over ends now.
    expect(nextBakeLook(T0, T0, T0 + 10_000, 30)).toEqual({ nextAt: new Date(T0 + 10_000).toISOString(), last: true });
    expect(nextBakeLook(T0 + 5000, T0 - 1000, T0, 30)).toEqual({ nextAt: new Date(T0 + 5000).toISOString(), last: true });
  });
});

describe('Function: nextGreenCheck with a sampled registration time (ECS services of more than 100 tasks)', () => {
  it('wakes at the sample instant, and once it has passed polls instead of waiting a whole interval', () => {
    const sampled = { ...base, lastRegisteredAt: T0 - 10_000, lastRegisteredIsLowerBound: true };
    expect(nextGreenCheck(sampled).at).toBe(T0 - 10_000 + 75_000 + CHECK_MARGIN_MS);
    const after = nextGreenCheck({ ...sampled, now: T0 - 10_000 + 75_000 + CHECK_MARGIN_MS + 1 });
    expect(after.at).toBe(T0 - 10_000 + 75_000 + CHECK_MARGIN_MS + 1 + 5_000);
    expect(after.why).toContain('poll every 5 s');
  });
});
