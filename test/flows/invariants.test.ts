import { DescribeListenersCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from '@jest/globals';
import { released } from '../../src/core/lock.js';
import { loadScenario, type SessionOptions, simulate } from '../../src/local/simulate.js';
import { changeLock } from '../../src/steps/lock.js';
import { tell } from '../../src/steps/record.js';
import { webApp } from './helpers.js';

// Every invariant is shown failing on a run built to break it: a hostile step (a person moving
// the route, targets that stop answering, a denied write) or a deliberately broken handler.
// The same runs without the sabotage hold every invariant (the first test), so a violation
// here is the sabotage's doing.

const release = (extra: Record<string, unknown> = {}) =>
  loadScenario({ name: 'inv', description: 'invariant check', apps: [webApp], steps: [{ at: 10, upload: { app: 'web', version: '2.0.0' } }], ...extra });
const withSteps = (steps: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
  release({ steps: [{ at: 10, upload: { app: 'web', version: '2.0.0' } }, ...steps], ...extra });
const broken = (extra: Record<string, unknown> = {}) => release({ brokenVersions: ['2.0.0'], ...extra });

async function violations(s: ReturnType<typeof release>, options?: SessionOptions) {
  const r = await simulate(s, options);
  return { r, v: r.summary.invariantViolations };
}

describe('Invariants: tied to the end state, and each can fail', () => {
  it('hold on an untouched release and an untouched rollback', async () => {
    const ok = await violations(release());
    expect(ok.r.summary.outcome).toBe('released');
    expect(ok.v).toEqual([]);
    const back = await violations(broken());
    expect(back.r.summary.outcome).toBe('rolled-back');
    expect(back.v).toEqual([]);
  });

  it('released-live: the route moved back by hand after a release', async () => {
    const { r, v } = await violations(withSteps([{ at: 600, setRoute: { app: 'web', colour: 'blue' } }]));
    expect(r.summary.outcome).toBe('released');
    expect(v.some((x) => x.startsWith('released-live:'))).toBe(true);
  });

  it('released-retired: the old colour scaled up again after the release', async () => {
    const { v } = await violations(withSteps([{ at: 600, scale: { app: 'web', colour: 'blue', desired: 2 } }]));
    expect(v.some((x) => x.startsWith('released-retired:'))).toBe(true);
  });

  it('rolled-back-old-live / -old-size / -old-healthy: what served before is not what serves after', async () => {
    const routed = await violations(broken({ steps: [{ at: 10, upload: { app: 'web', version: '2.0.0' } }, { at: 900, setRoute: { app: 'web', colour: 'green' } }] }));
    expect(routed.r.summary.outcome).toBe('rolled-back');
    expect(routed.v.some((x) => x.startsWith('rolled-back-old-live:'))).toBe(true);
    const shrunk = await violations(broken({ steps: [{ at: 10, upload: { app: 'web', version: '2.0.0' } }, { at: 900, scale: { app: 'web', colour: 'blue', desired: 1 } }] }));
    expect(shrunk.v.some((x) => x.startsWith('rolled-back-old-size:'))).toBe(true);
    const sick = await violations(broken({ steps: [{ at: 10, upload: { app: 'web', version: '2.0.0' } }, { at: 900, failTargets: { app: 'web', colour: 'blue', share: 0.5 } }] }));
    expect(sick.v.some((x) => x.startsWith('rolled-back-old-healthy:'))).toBe(true);
  });

  it('rolled-back-green-retired: the colour a rollback brought down is scaled up again', async () => {
    const up = await violations(broken({ steps: [{ at: 10, upload: { app: 'web', version: '2.0.0' } }, { at: 900, scale: { app: 'web', colour: 'green', desired: 1 } }] }));
    expect(up.r.summary.outcome).toBe('rolled-back');
    expect(up.v.filter((x) => x.startsWith('rolled-back-green-retired:'))).toEqual(['rolled-back-green-retired: the new colour green still has 1 capacity after the rollback (onFailure.keepGreenForInspection is off)']);
  });

  it('route-healthy, capacity-nonzero and capacity-min: green stops answering after it went live', async () => {
    const all = await violations(withSteps([{ at: 400, failTargets: { app: 'web', colour: 'green', share: 1 } }]));
    expect(all.v.some((x) => x.startsWith('route-healthy:'))).toBe(true);
    expect(all.v.some((x) => x.startsWith('capacity-nonzero:'))).toBe(true);
    const half = await violations(withSteps([{ at: 400, failTargets: { app: 'web', colour: 'green', share: 0.5 } }]));
    expect(half.v.some((x) => x.startsWith('capacity-min:'))).toBe(true);
    expect(half.v.some((x) => x.startsWith('capacity-nonzero:'))).toBe(false);
  });

  it('lock-free and history-outcome: Finish may not write its records', async () => {
    const { v } = await violations(release({ faults: [{ command: 'PutItem', caller: 'finish', kind: 'access-denied', times: 1000 }] }));
    expect(v.some((x) => x.startsWith('lock-free:'))).toBe(true);
    expect(v.some((x) => x.startsWith('history-outcome:'))).toBe(true);
  });

  it('events-outcome: a Finish that announces success for a rollback', async () => {
    const lying: SessionOptions = {
      wrap: (fn, handler) => (fn === 'finish' ? (event, ctx) => handler({ ...(event as object), outcome: 'released' }, ctx) : handler),
    };
    const { r, v } = await violations(broken(), lying);
    expect(r.summary.outcome).toBe('rolled-back');
    expect(v.some((x) => x.startsWith('events-outcome:'))).toBe(true);
    expect(v.some((x) => x.startsWith('history-outcome:'))).toBe(true);
  });

  it('fenced-writes: a route write from an execution that no longer holds the lock', async () => {
    const late: SessionOptions = {
      // switchTraffic (whose role may change the listener) lets go of the lock after its step,
      // then re-asserts the route anyway.
      wrap: (fn, handler, deps) =>
        fn !== 'switchTraffic'
          ? handler
          : async (event, ctx) => {
              const out = await handler(event, ctx);
              await changeLock(deps, 'web', (l) => ({ next: released(l), result: true }));
              const arn = deps.config.apps.web.kind === 'eip' ? '' : deps.config.apps.web.listenerArn;
              const l = await deps.clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arn] }));
              await deps.clients.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, DefaultActions: l.Listeners?.[0]?.DefaultActions }));
              return out;
            },
    };
    const { v } = await violations(release(), late);
    expect(v.some((x) => x.startsWith('fenced-writes:') && /while the lock was free/.test(x))).toBe(true);
  });

  it('events-true: a "Traffic Shifted" event announced before the route moved', async () => {
    const early: SessionOptions = {
      wrap: (fn, handler, deps) =>
        fn !== 'switchTraffic'
          ? handler
          : async (event, ctx) => {
              const e = event as { release: never; execution: never };
              await tell(deps, { event: 'traffic-shifted', release: e.release, execution: e.execution, extra: { percent: 100 } });
              return handler(event, ctx);
            },
    };
    const { v } = await violations(release(), early);
    expect(v.filter((x) => x.startsWith('events-true:')).map((x) => x.replace(/t=[\d.]+/, 't=T'))).toEqual([
      expect.stringMatching(/^events-true: web-2_0_0-[0-9a-f]+ announced 100% of traffic on green at t=T, when the route sent it 0%$/),
    ]);
  });

  it('newest-wins: an older upload deploys after a newer one began (its time read as the execution start)', async () => {
    const { loadScenarioFile } = await import('../../src/local/simulate.js');
    const { join } = await import('node:path');
    const { ROOT } = await import('../../src/local/definitions.js');
    const s = loadScenarioFile(join(ROOT, 'scenarios', 'out-of-order-uploads.yml'));
    const clean = await violations(s);
    expect(clean.v).toEqual([]);
    // Sabotage: Resolve forgets when the object was uploaded, so "newer" falls back to the start of the execution.
    const forgetful: SessionOptions = {
      wrap: (fn, handler) =>
        fn !== 'resolve'
          ? handler
          : async (event, ctx) => {
              const out = (await handler(event, ctx)) as { release: { artifact: { uploadedAt?: number } } };
              delete out.release.artifact.uploadedAt;
              return out;
            },
    };
    const { v } = await violations({ ...s, expect: undefined }, forgetful);
    expect(v.filter((x) => x.startsWith('newest-wins:'))).toEqual([expect.stringMatching(/^newest-wins: web-1_4_2-[0-9a-f]+ \(1\.4\.2\) began deploying at t=\d+, after the newer upload 1\.4\.3 had \(t=\d+\)$/)]);
  });

  it('manual-respected: a release that puts the route back as it planned, over a person\'s change, and switches', async () => {
    // Half the traffic to green by hand once it is healthy, half a second before the switch.
    const base = await violations(release());
    const at = base.r.executions[0].statesEntered.find((x) => x.name === 'SwitchTraffic')!.t - 0.5;
    const split = [{ at, setRoute: { app: 'web', colour: 'green', share: 50 } }];
    const clean = await violations(withSteps(split));
    expect(clean.r.summary.outcome).toBe('rolled-back');
    expect(clean.v).toEqual([]);
    const overriding: SessionOptions = {
      wrap: (fn, handler, deps) =>
        fn !== 'switchTraffic'
          ? handler
          : async (event, ctx) => {
              const arn = deps.config.apps.web.kind === 'eip' ? '' : deps.config.apps.web.listenerArn;
              const blue = deps.config.apps.web.kind === 'eip' ? '' : deps.config.apps.web.blue.targetGroupArn;
              await deps.clients.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: blue, Weight: 1 }] } }] }));
              return handler(event, ctx);
            },
    };
    const { v } = await violations(withSteps(split), overriding);
    expect(v.filter((x) => x.startsWith('manual-respected:'))).toEqual([expect.stringMatching(/^manual-respected: web-2_0_0-[0-9a-f]+ moved green's share from 0% to 100% at t=\d+, over a change made by hand at t=\d+$/)]);
  });

  it('finished: a run that hits its limit with work still running', async () => {
    const { v } = await violations(release({ limitSeconds: 60 }));
    expect(v.some((x) => x.startsWith('finished:'))).toBe(true);
  });

  it('exclusive: a lock step that always says "acquired" lets two releases of one app run at once', async () => {
    const { loadScenarioFile } = await import('../../src/local/simulate.js');
    const { scenarioPath } = await import('../../src/cli/scenarios.js');
    const base = loadScenarioFile(scenarioPath('concurrent-releases'));
    const clean = await violations(base);
    expect(clean.v).toEqual([]);
    const { v } = await violations(base, {
      wrap: (fn, handler) =>
        fn !== 'lock'
          ? handler
          : async (event, context) => {
              const out = (await handler(event, context)) as { state?: string };
              return out?.state === 'waiting' ? { state: 'acquired', why: 'free' } : out;
            },
    });
    expect(v.some((x) => x.startsWith('exclusive:'))).toBe(true);
  });

  it('alarm-respected: a release that reads every guard alarm as OK moves traffic while one is in ALARM', async () => {
    const { loadScenarioFile } = await import('../../src/local/simulate.js');
    const { scenarioPath } = await import('../../src/cli/scenarios.js');
    const base = loadScenarioFile(scenarioPath('alarm-already-firing'));
    expect((await violations(base)).v).toEqual([]);
    const { v } = await violations(
      { ...base, expect: undefined },
      {
        wrap: (fn, handler, deps) => {
          if (fn === 'switchTraffic' || fn === 'resolve' || fn === 'plan' || fn === 'checkGreen') {
            const cw = deps.clients.cloudwatch as unknown as { send: (c: unknown) => Promise<{ MetricAlarms?: { StateValue?: string }[]; CompositeAlarms?: { StateValue?: string }[] }> };
            const send = cw.send.bind(cw);
            cw.send = async (c) => {
              const out = await send(c);
              for (const x of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) x.StateValue = 'OK';
              return out;
            };
          }
          return handler;
        },
      },
    );
    expect(v.some((x) => x.startsWith('alarm-respected:'))).toBe(true);
  });
});
