import { describe, expect, it } from '@jest/globals';
import { loadScenario, simulate } from '../../src/local/simulate.js';
import { runShipped, webApp } from './helpers.js';

// Simulator behaviours that held-out runs found missing, each with the AWS behaviour it models
// (src/sim/README.md cites the documentation).

describe('Simulator fidelity', () => {
  it('ECS pulls every container image: a missing sidecar stops green with CannotPullContainerError, named in the reason', async () => {
    const r = await runShipped('ecs-sidecar-missing');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '3.2.0', failedRequests: 0, invariantViolations: [] });
    expect(r.summary.reason).toMatch(/last stopped: CannotPullContainerError: .*public\.ecr\.aws\/aws-observability\/aws-otel-collector:v0\.99\.0-missing: not found/);
  });

  it('DescribeAlarms returns composite alarms only when AlarmTypes asks: a composite guard alarm reads as OK', async () => {
    const r = await runShipped('composite-guard-alarm');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2', invariantViolations: [] });
    const asked = r.calls.filter((c) => c.command === 'DescribeAlarms');
    expect(asked.length).toBeGreaterThan(0);
  });

  it('scale-in follows the default termination policy: the AZ with the most instances, then at random among equals', async () => {
    // 4 instances over 3 AZs (2, 1, 1): scaling to 3 terminates one of the two in the first AZ,
    // which one depending on the run's seed (not always the oldest).
    const victims = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const s = loadScenario({
        name: 'tp',
        description: 'termination policy',
        seed,
        apps: [{ ...webApp, instances: 4 }],
        steps: [{ at: 5, scale: { app: 'web', colour: 'blue', desired: 3 } }],
        minSeconds: 60,
      });
      const r = await simulate(s);
      const all = [...r.world.instances.values()].filter((i) => i.group === 'web-blue');
      const gone = all.filter((i) => i.lifecycle !== 'InService');
      expect(gone).toHaveLength(1);
      const left = all.filter((i) => i.lifecycle === 'InService');
      expect(new Set(left.map((i) => i.az)).size).toBe(3);
      victims.add(all.indexOf(gone[0]).toString());
    }
    expect(victims.size).toBe(2);
  });

  it('Lambda invocations take virtual time: a cold start once per function, then warm', async () => {
    const r = await runShipped('asg-release');
    const checks = r.lambda.filter((x) => x.fn === 'checkGreen');
    expect(checks[0].cold).toBe(true);
    expect(checks.slice(1).every((x) => !x.cold)).toBe(true);
    expect(checks[0].seconds).toBeGreaterThan(checks[1].seconds);
    // Every AWS call took its latency: answered after it was made.
    expect(r.calls.every((c) => c.end === undefined || c.end > c.t)).toBe(true);
  });
});
