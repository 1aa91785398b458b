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

describe('Function: the load balancer routes every request one way (HTTP checks and synthetic traffic)', () => {
  const build = async () => {
    const { loadScenario } = await import('../../src/local/simulate.js');
    const { buildWorld } = await import('../../src/sim/build.js');
    const { simApi, NO_STEP_FUNCTIONS } = await import('../../src/sim/api.js');
    const scenario = loadScenario({ name: 't', description: 't', apps: [{ name: 'web', instances: 2 }], steps: [{ at: 999, upload: { app: 'web', version: '2.0.0' } }] });
    const built = buildWorld(scenario, new VirtualClock());
    const app = built.config.apps.web as { listenerArn: string; blue: { targetGroupArn: string }; green: { targetGroupArn: string } };
    const api = simApi(built.world, NO_STEP_FUNCTIONS);
    const route = (blue: number, green: number) =>
      api.elbv2.ModifyListenerCommand({ ListenerArn: app.listenerArn, DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: app.blue.targetGroupArn, Weight: blue }, { TargetGroupArn: app.green.targetGroupArn, Weight: green }] } }] });
    const port = built.world.elb.listener(app.listenerArn).port;
    return { ...built, app, route, port, host: built.hosts.get('web')! };
  };

  it('a split route: HTTP checks follow the weights as requests do (10% reach the empty green group: 503)', async () => {
    const { world, route, port, host } = await build();
    route(90, 10);
    const answers = Array.from({ length: 100 }, () => world.elb.httpViaAlb(port, host, '/').status);
    expect(answers.filter((s) => s === 503).length).toBe(10);
    expect(answers.filter((s) => s === 200).length).toBe(90);
  });

  it('no healthy target in the chosen group: ALB fails open to its targets, for checks as for traffic', async () => {
    const { world, app, route, port, host } = await build();
    route(100, 0);
    for (const t of world.elb.targetGroup(app.blue.targetGroupArn).targets.values()) Object.assign(t, { state: 'unhealthy', reason: 'Target.FailedHealthChecks' });
    const r = world.elb.albRoute(app.listenerArn, host, '/', 0.5);
    expect('target' in r && r.failOpen && r.target !== null).toBe(true);
    // The targets still answer (they only fail their checks): the request succeeds.
    expect(world.elb.httpViaAlb(port, host, '/').status).toBe(200);
  });
});
