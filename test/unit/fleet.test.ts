import { describe, expect, it } from '@jest/globals';
import { assessGreen, warmCapacity } from '../../src/core/fleet.js';

const inst = (id: string, v = '5', state = 'InService') => ({ instanceId: id, lifecycleState: state, healthStatus: 'Healthy', launchTemplateVersion: v });

describe('Function: assessGreen', () => {
  it('is ready only when every pinned instance is InService and healthy', () => {
    const a = assessGreen([inst('a'), inst('b')], [{ id: 'a', state: 'healthy' }, { id: 'b', state: 'healthy' }], '5', 2);
    expect(a).toEqual({ desired: 2, inService: 2, healthy: 2, stale: [], ready: true });
  });
  it('is not ready while a target is still initial', () => {
    expect(assessGreen([inst('a'), inst('b')], [{ id: 'a', state: 'healthy' }, { id: 'b', state: 'initial' }], '5', 2).ready).toBe(false);
  });
  it('does not count instances of an older launch template version, and lists them as stale', () => {
    const a = assessGreen([inst('a'), inst('old', '4')], [{ id: 'a', state: 'healthy' }, { id: 'old', state: 'healthy' }], '5', 1);
    expect(a.stale).toEqual(['old']);
    expect(a.ready).toBe(false);
  });
  it('is not ready with fewer instances than desired', () => {
    expect(assessGreen([inst('a', '5', 'Pending')], [], '5', 1)).toMatchObject({ inService: 0, ready: false });
  });
  it('is never ready for a desired count of zero', () => {
    expect(assessGreen([], [], '5', 0).ready).toBe(false);
  });
  it('ignores terminating instances that are draining', () => {
    const a = assessGreen([inst('a'), inst('gone', '4', 'Terminating:Wait')], [{ id: 'a', state: 'healthy' }, { id: 'gone', state: 'draining' }], '5', 1);
    expect(a.ready).toBe(true);
  });
});

describe('Function: warmCapacity', () => {
  it.each([
    [{ min: 4, max: 8, desired: 4 }, 1, { min: 1, desired: 1 }],
    [{ min: 0, max: 8, desired: 4 }, 2, { min: 0, desired: 2 }],
    [{ min: 1, max: 8, desired: 1 }, 3, null],
    [{ min: 4, max: 8, desired: 4 }, 0, { min: 0, desired: 0 }],
  ])('%j keep %i → %j', (cur, keep, want) => {
    expect(warmCapacity(cur, keep)).toEqual(want);
  });
});
