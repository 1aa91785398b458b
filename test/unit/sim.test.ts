import { describe, expect, it } from '@jest/globals';
import { VirtualClock } from '../../src/sim/clock.js';
import { matches } from '../../src/sim/eventbridge.js';

describe('Function: EventBridge pattern matching', () => {
  const pattern = { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['b'] }, object: { key: [{ prefix: 'releases/' }] } } };
  const ev = (key: string, bucket = 'b') => ({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: bucket }, object: { key } } });
  it('matches the release upload rule', () => {
    expect(matches(pattern, ev('releases/web/1.json'))).toBe(true);
    expect(matches(pattern, ev('other/web/1.json'))).toBe(false);
    expect(matches(pattern, ev('releases/web/1.json', 'c'))).toBe(false);
  });
  it('supports exists, anything-but, suffix and numeric', () => {
    expect(matches({ a: [{ exists: false }] }, {})).toBe(true);
    expect(matches({ a: [{ 'anything-but': ['x'] }] }, { a: 'y' })).toBe(true);
    expect(matches({ a: [{ suffix: '.json' }] }, { a: 'k.json' })).toBe(true);
    expect(matches({ a: [{ numeric: ['>', 1, '<=', 5] }] }, { a: 5 })).toBe(true);
    expect(matches({ a: [{ numeric: ['>', 1, '<=', 5] }] }, { a: 6 })).toBe(false);
  });
});

describe('Function: VirtualClock', () => {
  it('fires timers in time order, ties in scheduling order', () => {
    const c = new VirtualClock();
    const seen: string[] = [];
    c.at(5, () => seen.push('b'));
    c.at(1, () => seen.push('a'));
    c.at(5, () => seen.push('c'));
    while (c.nextAt() !== undefined) c.fireNext();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(c.now).toBe(5);
    expect(c.stamp(151)).toBe('02:31');
  });
});

describe('Function: loadScenario', () => {
  it('rejects a fault or a latency for a command the simulator does not answer, naming the field', async () => {
    const { loadScenario } = await import('../../src/local/simulate.js');
    const base = { name: 't', description: 't', apps: [{ name: 'web', instances: 2 }], steps: [{ at: 5, upload: { app: 'web', version: '2.0.0' } }] };
    expect(() => loadScenario({ ...base, faults: [{ command: 'ModifyListner', kind: 'throttle', times: 3 }] })).toThrow(/faults\[0\]\.command: "ModifyListner" is not a command the simulator answers \(did you mean ModifyListener/);
    expect(() => loadScenario({ ...base, physics: { apiLatency: { DescribeListner: 1 } } })).toThrow(/physics\.apiLatency\.DescribeListner/);
    expect(loadScenario({ ...base, faults: [{ command: 'ModifyListener', kind: 'throttle', times: 3 }] }).faults).toHaveLength(1);
  });
});
