import { describe, expect, it } from '@jest/globals';
import type { SimulationResult } from '../../src/local/simulate.js';
import { desiredChanges, mutatingCalls, runInline, runShipped } from './helpers.js';

/** Every weight green's target group had on the app's listener, in order. */
function greenWeights(r: SimulationResult): number[] {
  const green = [...r.world.elb.targetGroups.values()].find((t) => t.name === 'web-green')!.arn;
  return r.world.elb.routeChanges.map((c) => c.actions.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups?.find((g) => g.TargetGroupArn === green)?.Weight ?? 0);
}

const canaryWeb = (extra: Record<string, unknown> = {}) => ({
  name: 'web',
  instances: 4,
  initialVersion: '1.4.1',
  requestsPerSecond: 20,
  healthCheck: { intervalSeconds: 15, healthyThresholdCount: 5, unhealthyThresholdCount: 2 },
  deregistrationDelaySeconds: 30,
  greenlight: { alarms: ['web-target-5xx'], traffic: { strategy: 'canary', percent: 10, bakeSeconds: 300 }, retire: { keepWarmInstances: 1, keepWarmMinutes: 5 }, ...extra },
});

describe('Flow: guard alarms', () => {
  it('alarm-rollback: an alarm mid-canary puts the listener back on blue within 5 s, stops the release and retires green', async () => {
    const r = await runShipped('alarm-rollback');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', liveVersion: '1.4.1', failedRequests: 0 });
    expect(r.summary.rollbackLatencySeconds).toBeLessThanOrEqual(5);
    expect(greenWeights(r)).toEqual([10, 0]);
    const release = r.executions.find((e) => e.name.startsWith('web-1_4_2'))!;
    expect(release).toMatchObject({ status: 'ABORTED', error: 'AlarmRollback' });
    expect(r.world.group('web-green').desired).toBe(0);
    const events = r.world.published.filter((e) => e.source === 'greenlight' && e.detailType === 'Release Rolled Back');
    expect(events.map((e) => (e.detail as { version: string }).version)).toEqual(['1.4.2']);
  });

  it('alarm-already-firing: rejected with the alarm named, and nothing changed', async () => {
    const r = await runShipped('alarm-already-firing');
    expect(r.summary).toMatchObject({ outcome: 'rejected', mutatingCalls: 0, liveVersion: '1.4.1', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/guard alarm web-target-5xx is in ALARM/);
  });

  it('a throttled alarm read never skips a rollback: with the guard function failing, the next traffic step still rolls back', async () => {
    const r = await runInline({
      alarms: [{ name: 'web-target-5xx', state: 'OK' }],
      apps: [canaryWeb()],
      faults: [
        // The event-driven guard fails every time (Lambda retries it twice, then gives up) ...
        { command: 'DescribeExecution', kind: 'access-denied', times: 100, caller: 'guard' },
        // ... and the step's alarm read is throttled beyond the SDK's own retries, twice.
        { command: 'DescribeAlarms', kind: 'throttle', times: 6, skip: 1, caller: 'switchTraffic' },
      ],
      steps: [
        { at: 10, upload: { app: 'web', version: '1.4.2' } },
        { at: 210, setAlarm: { name: 'web-target-5xx', state: 'ALARM' } },
      ],
    });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/AlarmFiring: guard alarm web-target-5xx is in ALARM/);
    expect(greenWeights(r)).toEqual([10, 0]);
    expect(r.calls.filter((c) => c.command === 'DescribeAlarms' && c.error === 'Throttling').length).toBe(6);
  });

  it('an alarm after the shift (keep-warm) starts a rollback that scales blue back up before moving traffic', async () => {
    const r = await runInline({
      alarms: [{ name: 'web-target-5xx', state: 'OK' }],
      apps: [canaryWeb({ traffic: { strategy: 'all-at-once' } })],
      steps: [
        { at: 10, upload: { app: 'web', version: '1.4.2' } },
        { at: 200, setAlarm: { name: 'web-target-5xx', state: 'ALARM' } },
      ],
    });
    const rollback = r.executions.find((e) => e.input.includes('"action":"rollback"'))!;
    expect(rollback.output).toMatchObject({ outcome: 'rolled-back', version: '1.4.1', liveColour: 'blue' });
    expect(r.summary).toMatchObject({ liveColor: 'blue', liveVersion: '1.4.1', failedRequests: 0 });
    // Blue went 1 → 4 instances first; the flip came only once all four were healthy.
    const scaleUp = mutatingCalls(r, 'UpdateAutoScalingGroup').find((c) => c.t >= 200)!;
    const flip = r.world.elb.routeChanges.filter((c) => c.t >= 200)[0];
    expect(flip.t - scaleUp.t).toBeGreaterThan(60);
  });
});

describe('Flow: test traffic and smoke checks', () => {
  const testWeb = (version = '1.4.1') => ({
    ...canaryWeb({ traffic: { strategy: 'all-at-once' }, alarms: [] }),
    initialVersion: version,
    testListener: { checks: [{ path: '/health', expectedStatus: 200, bodyContains: 'ok', retries: 1 }] },
  });

  it('smoke-fail: the smoke check fails through the test listener and no production request ever reaches green', async () => {
    const r = await runShipped('smoke-fail');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', prodRequestsToGreen: 0, liveVersion: '1.4.1', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/SmokeCheckFailed: .*status 500/);
    // The production listener was never written.
    const prod = r.world.elb.routeChanges.filter((c) => c.arn === (r.world.elb.listeners.values().next().value as { arn: string }).arn);
    expect(prod).toEqual([]);
  });

  it('a passing smoke check lets the release go on; the next release points the test listener at its own green', async () => {
    const r = await runInline({
      apps: [testWeb()],
      steps: [
        { at: 10, upload: { app: 'web', version: '1.4.2' } },
        { at: 900, upload: { app: 'web', version: '1.4.3' } },
      ],
    });
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.3', failedRequests: 0 });
    const testListener = [...r.world.elb.listeners.values()].find((l) => l.port === 9000)!;
    const blue = [...r.world.elb.targetGroups.values()].find((t) => t.name === 'web-blue')!.arn;
    // 1.4.3 went to blue: the test listener was re-pointed there (read back) before its checks.
    expect(r.world.elb.routeChanges.filter((c) => c.arn === testListener.arn).map((c) => c.actions[0].ForwardConfig?.TargetGroups?.[0].TargetGroupArn)).toEqual([blue]);
    expect(r.executions.every((e) => e.statesEntered.some((s) => s.name === 'SmokeTest'))).toBe(true);
  });
});

describe('simulate --plot', () => {
  /** Well-formed XML: every tag closed in order, attributes quoted, nothing after the root. */
  function wellFormed(svg: string): boolean {
    const stack: string[] = [];
    const tags = svg.match(/<[^>]+>/g) ?? [];
    for (const t of tags) {
      if (!/^<\/?[a-zA-Z][\w:-]*(\s+[\w:-]+="[^"<]*")*\s*\/?>$/.test(t)) return false;
      const name = /^<\/?([\w:-]+)/.exec(t)![1];
      if (t.startsWith('</')) {
        if (stack.pop() !== name) return false;
      } else if (!t.endsWith('/>')) stack.push(name);
    }
    return stack.length === 0 && svg.trim().endsWith('</svg>');
  }

  it('canary: the bake is looked at once per the target group unhealthy window (15 s × 2), not every poll', async () => {
    const r = await runShipped('canary');
    expect(r.summary).toMatchObject({ outcome: 'released', failedRequests: 0 });
    const states = r.executions[0].statesEntered;
    const looks = states.filter((s) => s.name === 'BakeCheck').map((s) => s.t);
    const switched = states.filter((s) => s.name === 'SwitchTraffic').map((s) => s.t);
    // 300 s of bake: looks at 30, 60, ... 270 s into it; the next step's own guard at 300 s.
    expect(looks.length).toBe(9);
    for (let i = 1; i < looks.length; i++) expect(looks[i] - looks[i - 1]).toBeCloseTo(30, 0);
    expect(switched[1] - switched[0]).toBeGreaterThanOrEqual(300);
    expect(switched[1] - switched[0]).toBeLessThan(302);
    expect(r.summary.stateTransitions).toBeLessThanOrEqual(60);
  });

  it('draws traffic share per version, capacity per colour and failed requests as a valid SVG', async () => {
    const { renderPlot } = await import('../../src/local/plot.js');
    const r = await runShipped('canary');
    const svg = renderPlot(r);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(wellFormed(svg)).toBe(true);
    expect(wellFormed('<svg><g></svg>')).toBe(false);
    // One area per version, two lines per colour, in the panels' order.
    expect([...svg.matchAll(/<polygon [^>]*><title>([^<]+)<\/title>/g)].map((m) => m[1])).toEqual(['1.4.1', '1.4.2']);
    expect((svg.match(/<polyline /g) ?? []).length).toBe(4);
    expect(svg.indexOf('Production traffic share')).toBeLessThan(svg.indexOf('Capacity per colour'));
    expect(svg.indexOf('Capacity per colour')).toBeLessThan(svg.indexOf('Failed requests per second'));
    // Axis titles with units; versions in colours of their own (not the colours' blue and green).
    for (const axis of ['share of requests (%)', 'instances or tasks', 'virtual time (s)']) expect(svg).toContain(axis);
    const versionFills = [...svg.matchAll(/<polygon [^>]*fill="([^"]+)"/g)].map((m) => m[1]);
    expect(versionFills.filter((c) => c === '#2f6db3' || c === '#2e9e5b')).toEqual([]);
    // Nothing failed: the panel is a line saying so, not a third of the height.
    expect(svg).toContain('none: all 15860 requests answered');
    expect((svg.match(/fill="#c0392b"\/>/g) ?? []).length).toBe(0);
    // The capacity samples follow the release: green from 0 to 4 healthy, blue down to 0.
    const last = r.capacity[r.capacity.length - 1].colours;
    expect(r.capacity[0].colours.green).toEqual({ desired: 0, healthy: 0 });
    expect(Math.max(...r.capacity.map((c) => c.colours.green.healthy))).toBe(4);
    expect(last.blue.desired).toBe(0);
  });
});

describe('simulate --plot: eip servers', () => {
  it('eip-release: a lane per server with its EC2 state; the address moves once, to a server that already answers', async () => {
    const { renderPlot } = await import('../../src/local/plot.js');
    const r = await runShipped('eip-release');
    const samples = r.capacity.filter((c) => c.servers);
    expect(samples.length).toBe(r.capacity.length);
    const holders = samples.map((c) => c.servers!.filter((sv) => sv.holdsAddress).map((sv) => sv.id));
    expect(holders.every((h) => h.length === 1)).toBe(true);
    const changes = holders.filter((h, k) => k > 0 && h[0] !== holders[k - 1][0]);
    expect(changes.length).toBe(1);
    // The new server's states in order: booting, up, answering; it answered before it got the address.
    const newId = holders.at(-1)![0];
    const states = samples.map((c) => c.servers!.find((sv) => sv.id === newId)).filter((sv) => sv !== undefined);
    const seq = states.map((sv) => (sv.serving ? 'serving' : sv.state)).filter((st, k, all) => k === 0 || st !== all[k - 1]);
    expect(seq).toEqual(['pending', 'running', 'serving']);
    expect(states.find((sv) => sv.holdsAddress)!.serving).toBe(true);
    const oldId = holders[0][0];
    expect(['stopped', 'terminated']).toContain(samples.at(-1)!.servers!.find((sv) => sv.id === oldId)?.state ?? 'terminated');
    const svg = renderPlot(r);
    expect(svg).toContain('Servers (bar: EC2 state');
    expect(svg).not.toContain('Capacity per colour');
    expect([...svg.matchAll(/data-state="([a-z-]+)"/g)].map((m) => m[1])).toEqual(expect.arrayContaining(['pending', 'running', 'serving', 'stopped']));
    expect((svg.match(/class="server-address"/g) ?? []).length).toBe(2);
  });
});

describe('simulate --plot: event markers', () => {
  it('alarm-rollback: the release, green ready, the route write, the alarm and the guard flip, in order', async () => {
    const { markers, renderPlot } = await import('../../src/local/plot.js');
    const r = await runShipped('alarm-rollback');
    const m = markers(r);
    expect(m.map((x) => x.label)).toEqual(['web-1.4.2 started', 'green ready', 'route write', 'web-target-5xx ALARM', 'guard flip']);
    // The alarm at 210 s, the flip within seconds of it.
    const alarm = m.find((x) => x.kind === 'alarm')!;
    expect(alarm.t).toBeCloseTo(210, 0);
    expect(m[m.length - 1].t - alarm.t).toBeLessThan(10);
    const svg = renderPlot(r);
    expect((svg.match(/class="marker"/g) ?? []).length).toBe(5);
  });
});

describe('Flow: pre-warming (ECS on EC2 capacity)', () => {
  it('prewarmed-release: the release skips the boot: time to live at most half the same release cold', async () => {
    const warm = await runShipped('prewarmed-release');
    const cold = await runShipped('ecs-ec2-release-cold');
    expect(warm.summary).toMatchObject({ outcome: 'released', liveVersion: '8.1.0', failedRequests: 0 });
    expect(cold.summary).toMatchObject({ outcome: 'released', liveVersion: '8.1.0', failedRequests: 0 });
    expect(warm.summary.timeToLiveSeconds!).toBeLessThanOrEqual(0.5 * cold.summary.timeToLiveSeconds!);
    // The pre-warmed instances were kept: the release launched none.
    const release = warm.executions.find((e) => e.name.startsWith('shop-8_1_0'))!;
    const launchesDuringRelease = warm.calls.filter((c) => c.command === 'UpdateAutoScalingGroup' && c.t >= release.startedAt && c.caller === 'prepareCapacity');
    expect(launchesDuringRelease).toEqual([]);
  });

  it('prewarm is refused for apps whose release needs new instances anyway, without any change', async () => {
    const r = await runInline({ apps: [canaryWeb({ alarms: [] })], steps: [{ at: 5, startRelease: { input: { app: 'web', action: 'prewarm', capacity: 2 } } }] });
    expect(r.summary.outcome).toBe('rejected');
    expect(r.summary.reason).toMatch(/prewarm keeps EC2 capacity behind an ECS cluster; web is asg: its release needs new instances/);
    expect(r.summary.mutatingCalls).toBe(0);
  });
});

describe('Flow: stepped retirement, quiesce, rollback during the step-down', () => {
  it('retire-rollback: blue steps down 4 → 2; a rollback scales it back to 4, checks it, then moves traffic', async () => {
    const r = await runShipped('retire-rollback');
    expect(r.summary).toMatchObject({ liveColor: 'blue', liveVersion: '1.4.1', failedRequests: 0 });
    const blueSizes = mutatingCalls(r, 'UpdateAutoScalingGroup').map((c) => c.t);
    expect(blueSizes.length).toBeGreaterThan(0);
    expect(desiredChanges(r, 'web-blue').map((c) => c.change)).toEqual(['4 → 2', '2 → 4']);
    // The step-down came 5 minutes after the switch; the rollback's flip only once blue was whole again.
    const switched = r.world.elb.routeChanges[0].t;
    const down = desiredChanges(r, 'web-blue').find((c) => c.change === '4 → 2')!.t;
    expect(down - switched).toBeGreaterThanOrEqual(300);
    const up = desiredChanges(r, 'web-blue').find((c) => c.change === '2 → 4')!.t;
    const back = r.world.elb.routeChanges[1].t;
    expect(back - up).toBeGreaterThan(60);
    // Quiesce: blue's processes were suspended at the switch and resumed for the rollback; green's
    // are suspended now; the event was published for each.
    expect(r.world.group('web-blue').suspended?.size ?? 0).toBe(0);
    expect([...(r.world.group('web-green').suspended ?? [])]).toEqual(['ScheduledActions']);
    expect(r.world.published.filter((e) => e.detailType === 'Old Colour Quiesced').map((e) => (e.detail as { before: { colour: string } }).before.colour)).toEqual(['blue', 'green']);
    // The 1.4.2 execution yielded: it never stepped blue below 2.
    const first = r.executions.find((e) => e.name.startsWith('web-1_4_2'))!;
    expect(first.statesEntered.map((s) => s.name)).toContain('FinishHandedOver');
  });

  it('rejects retirement steps that grow or do not end at zero, naming the field', async () => {
    const { parseConfig } = await import('../../src/core/config.js');
    const base = { kind: 'asg', listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/0123456789abcdef/0123456789abcdef', launchTemplateId: 'lt-0123456789abcdef0', blue: { autoScalingGroupName: 'b', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/0123456789abcdef' }, green: { autoScalingGroupName: 'g', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/g/0123456789abcdef' }, artifact: { type: 'ami' } };
    expect(() => parseConfig({ apps: { web: { ...base, retire: { steps: [{ afterMinutes: 0, percent: 100 }, { afterMinutes: 5, percent: 50 }] } } } })).toThrow(/retire\.steps.*the last step must reach percent 0/);
    expect(() => parseConfig({ apps: { web: { ...base, retire: { steps: [{ afterMinutes: 5, percent: 50 }, { afterMinutes: 1, percent: 0 }] } } } })).toThrow(/afterMinutes increasing/);
  });
});

describe('Flow: approval gate', () => {
  const gated = (approval: Record<string, unknown>) => ({ ...canaryWeb({ alarms: [], traffic: { strategy: 'all-at-once' }, approval }) });

  it('approval: the release waits at the gate (Approval Needed) and moves traffic only when promoted', async () => {
    const r = await runShipped('approval');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2', failedRequests: 0 });
    expect(r.world.elb.routeChanges.map((c) => c.t)).toEqual([expect.any(Number)]);
    expect(r.world.elb.routeChanges[0].t).toBeGreaterThanOrEqual(400);
    expect(r.world.elb.routeChanges[0].t).toBeLessThan(402);
    const needed = r.world.published.find((e) => e.detailType === 'Approval Needed')!;
    expect(needed.t).toBeLessThan(160);
  });

  it('abort at the gate rolls back; no production request reaches green', async () => {
    const r = await runInline({
      apps: [gated({ timeoutMinutes: 30 })],
      steps: [
        { at: 10, upload: { app: 'web', version: '1.4.2' } },
        { at: 300, approve: { app: 'web', decision: 'abort' } },
      ],
    });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/ApprovalRejected: aborted by operator/);
    expect(r.world.elb.routeChanges).toEqual([]);
    expect(r.world.group('web-green').desired).toBe(0);
  });

  it.each([
    ['abort', 'rolled-back', '1.4.1'],
    ['promote', 'released', '1.4.2'],
  ])('without an answer the gate times out and does onTimeout (%s)', async (onTimeout, outcome, live) => {
    const r = await runInline({ apps: [gated({ timeoutMinutes: 2, onTimeout })], steps: [{ at: 10, upload: { app: 'web', version: '1.4.2' } }] });
    expect(r.summary).toMatchObject({ outcome, liveVersion: live, failedRequests: 0 });
    const release = r.executions[0];
    const waited = release.statesEntered.find((s) => s.name === 'AwaitApproval')!.t;
    const next = release.statesEntered.find((s) => s.name === (onTimeout === 'abort' ? 'ApprovalExpired' : 'StartShift'))!.t;
    expect(next - waited).toBeGreaterThanOrEqual(120);
    expect(next - waited).toBeLessThan(122);
  });
});

describe('Flow: preview URLs', () => {
  it.each(['names', 'tags'] as const)('<version>.<domain> rules: the new version before any traffic, the previous one while it is warm, gone once retired (iam.scope: %s)', async (scope) => {
    // An approval gate holds the release after green is healthy (t≈150) until it times out (2 min).
    const app = { ...canaryWeb({ alarms: [], traffic: { strategy: 'all-at-once' }, preview: { domain: 'preview.example.com' }, approval: { timeoutMinutes: 2, onTimeout: 'promote' } }) };
    const { startSession, runToQuiet, loadScenario, summarize } = await import('../../src/local/simulate.js');
    const session = startSession(loadScenario({ name: 'preview', description: 'test', apps: [app], steps: [{ at: 10, upload: { app: 'web', version: '1.4.2' } }], iam: { scope } }));
    const w = session.world;
    const get = (host: string) => w.elb.httpViaAlb(443, host, '/');
    await runToQuiet(session, 200); // green healthy, waiting at the gate
    const beforeSwitch = { next: get('1-4-2.preview.example.com'), prod: get('web.example.com') };
    await runToQuiet(session, 400); // switched; blue warm (1 instance)
    const warm = { prev: get('1-4-1.preview.example.com'), next: get('1-4-2.preview.example.com'), prod: get('web.example.com') };
    const limitHit = await runToQuiet(session);
    const r = summarize(session, limitHit);
    expect(r.summary).toMatchObject({ outcome: 'released', failedRequests: 0, accessDenied: 0 });
    expect(beforeSwitch.next).toEqual({ status: 200, body: 'ok 1.4.2 /' });
    expect(beforeSwitch.prod.body).toBe('ok 1.4.1 /');
    expect(warm).toEqual({ prev: { status: 200, body: 'ok 1.4.1 /' }, next: { status: 200, body: 'ok 1.4.2 /' }, prod: { status: 200, body: 'ok 1.4.2 /' } });
    // Retired: the previous version's rule is gone, the new one's stays.
    const hosts = [...w.elb.rules.values()].flatMap((x) => x.conditions.flatMap((c) => c.HostHeaderConfig?.Values ?? []));
    expect(hosts).toEqual(['1-4-2.preview.example.com']);
    // With the tag scope, greenlight's preview rule carries the stack's tag (created with it).
    const preview = [...w.elb.rules.values()].find((x) => x.tags?.['greenlight:preview']);
    expect(preview?.tags?.['greenlight:stack']).toBe(scope === 'tags' ? 'sim' : undefined);
  });
});

describe('Flow: quiesce ECS queue workers', () => {
  it('when traffic leaves blue, green\'s worker service takes blue\'s worker count and blue\'s goes to 0', async () => {
    const r = await runInline({
      apps: [
        {
          name: 'api',
          kind: 'ecs',
          capacity: 'fargate',
          tasks: 2,
          workers: 3,
          initialVersion: '2.0.0',
          healthCheck: { intervalSeconds: 10, healthyThresholdCount: 3, unhealthyThresholdCount: 2 },
          deregistrationDelaySeconds: 10,
          greenlight: { retire: { keepWarmTasks: 1, keepWarmMinutes: 2 } },
        },
      ],
      steps: [{ at: 5, upload: { app: 'api', version: '2.1.0' } }],
    });
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '2.1.0', failedRequests: 0 });
    expect(r.world.ecs.service('api', 'api-worker-blue').desiredCount).toBe(0);
    expect(r.world.ecs.service('api', 'api-worker-green').desiredCount).toBe(3);
    // Handed over at the switch: green's workers first, then blue's stop.
    const updates = r.calls.filter((c) => c.command === 'UpdateService' && c.caller === 'retireOld');
    expect(updates.length).toBeGreaterThanOrEqual(2);
  });
});

describe('Flow: retirement by metric', () => {
  it('a step down waits while a hold alarm fires, and goes on once it is OK', async () => {
    const r = await runInline({
      alarms: [{ name: 'web-green-latency', state: 'OK' }],
      apps: [
        canaryWeb({
          alarms: [],
          traffic: { strategy: 'all-at-once' },
          retire: { steps: [{ afterMinutes: 0, percent: 100 }, { afterMinutes: 2, percent: 0 }], holdWhileAlarm: ['web-green-latency'] },
        }),
      ],
      steps: [
        { at: 10, upload: { app: 'web', version: '1.4.2' } },
        { at: 200, setAlarm: { name: 'web-green-latency', state: 'ALARM' } },
        { at: 600, setAlarm: { name: 'web-green-latency', state: 'OK' } },
      ],
    });
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2', failedRequests: 0 });
    const down = desiredChanges(r, 'web-blue').find((c) => c.change === '4 → 0')!.t;
    // Due at ~270 s (2 min after the switch); held while the alarm fired; done within a minute of OK.
    expect(down).toBeGreaterThanOrEqual(600);
    expect(down).toBeLessThan(661);
  });
});

describe('Flow: smoke checks through a test rule (host match on the production listener)', () => {
  const ruled = () => ({
    ...canaryWeb({ traffic: { strategy: 'all-at-once' }, alarms: [] }),
    testRule: { host: 'web-test.example.com', checks: [{ path: '/health', expectedStatus: 200, bodyContains: 'ok', retries: 1 }] },
  });

  it('passes: the rule is pointed at green (read back) before production traffic moves, and the release goes on', async () => {
    const r = await runInline({ apps: [ruled()], steps: [{ at: 10, upload: { app: 'web', version: '1.4.2' } }] });
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2', failedRequests: 0 });
    const smoke = r.executions[0].statesEntered.find((s) => s.name === 'SmokeTest')!.t;
    const prod = r.world.elb.routeChanges.find((c) => c.arn.includes(':listener/'))!.t;
    expect(prod).toBeGreaterThan(smoke);
  });

  it('fails: rolled back, and production never sent a request to green', async () => {
    const r = await runInline({ smokeFailVersions: ['1.4.2'], apps: [ruled()], steps: [{ at: 10, upload: { app: 'web', version: '1.4.2' } }] });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', prodRequestsToGreen: 0, liveVersion: '1.4.1', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/smoke check through the test rule failed on green \(1\.4\.2\): GET https:\/\/web-test\.example\.com\/health → status 500/);
    expect(r.world.elb.routeChanges.filter((c) => c.arn.includes(':listener/'))).toEqual([]);
  });
});
