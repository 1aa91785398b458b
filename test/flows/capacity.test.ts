import { describe, expect, it } from '@jest/globals';
import { desiredChanges, runShipped } from './helpers.js';

const FIELDS = ['desiredCount', 'expectedDesiredCount', 'tasksStoppedWhileServing', 'lifecycleActionsCompleted', 'lifecycleActionsAbandoned', 'awsCalls'];

describe('Flow: ECS tasks follow the Auto Scaling group (capacity state machine)', () => {
  it('ecs-scale-out: 2 → 6 instances, every launch waits for its container instance, 12 tasks', async () => {
    const { summary: s, world } = await runShipped('ecs-scale-out');
    for (const f of FIELDS) expect(s).toHaveProperty(f);
    expect(s).toMatchObject({ outcome: 'converged', desiredCount: 12, expectedDesiredCount: 12, lifecycleActionsCompleted: 4, lifecycleActionsAbandoned: 0, failedRequests: 0 });
    expect(world.group('api-blue-capacity').instances.every((id) => world.instances.get(id)!.lifecycle === 'InService')).toBe(true);
  });

  it('ecs-scale-out: each launch is looked at when the cluster’s instances took to join, not polled every 5 s', async () => {
    const { summary: s, world, calls } = await runShipped('ecs-scale-out');
    // The new container instances registered after the scenario began; each launch's completion
    // follows its registration within about two seconds (the margin, SetTaskCount, the call).
    const registered = [...world.ecs.containerInstances.values()].map((c) => c.registeredAt).filter((t) => t > 0).sort((a, b) => a - b);
    const completed = calls.filter((c) => c.command === 'CompleteLifecycleAction').map((c) => c.t).sort((a, b) => a - b);
    expect(registered).toHaveLength(4);
    expect(completed.map((t, k) => Math.round((t - registered[k]) * 10) / 10).every((d) => d >= 0 && d <= 2.5)).toBe(true);
    // Two looks per launch (one at the lifecycle event, one at the predicted join), each listing
    // the cluster's container instances once: at most 12 calls per event. Polling every 5 s
    // through a 70 s join cost 35.
    expect(calls.filter((c) => c.caller === 'joinCheck' && c.command === 'ListContainerInstances')).toHaveLength(8);
    expect(s.awsCallsPerEvent!).toBeLessThanOrEqual(12);
  });

  it('ecs-scale-in: 6 → 3 under traffic, drained before termination: no task stopped while serving', async () => {
    const r = await runShipped('ecs-scale-in');
    const { summary: s, calls } = r;
    expect(s).toMatchObject({ outcome: 'converged', desiredCount: 6, expectedDesiredCount: 6, tasksStoppedWhileServing: 0, failedRequests: 0, lifecycleActionsCompleted: 3 });
    expect(s.requests).toBeGreaterThan(1000);
    // Draining came before each completion.
    const drains = calls.filter((c) => c.command === 'UpdateContainerInstancesState');
    const completes = calls.filter((c) => c.command === 'CompleteLifecycleAction');
    expect(drains).toHaveLength(3);
    expect(Math.max(...drains.map((c) => c.t))).toBeLessThan(Math.min(...completes.map((c) => c.t)));
    expect(r.world.capacityChanges.some((c) => c.from === 12 && c.to === 6)).toBe(true);
  });

  it('ecs-burst: 0 → 40 launches then 20 terminations end at the exact count, AWS calls linear in events', async () => {
    const { summary: s } = await runShipped('ecs-burst');
    expect(s).toMatchObject({ outcome: 'converged', desiredCount: 40, expectedDesiredCount: 40, lifecycleEvents: 60, lifecycleActionsCompleted: 60, tasksStoppedWhileServing: 0 });
    // Each event costs a bounded number of calls (join polling dominates): linear, not quadratic.
    expect(s.awsCallsPerEvent!).toBeLessThan(40);
  });

  it('ecs-lost-event: a dropped launch event is fixed by the scheduled reconcile', async () => {
    const r = await runShipped('ecs-lost-event');
    const { summary: s, executions } = r;
    expect(s).toMatchObject({ outcome: 'converged', desiredCount: 6, expectedDesiredCount: 6, eventsDropped: 1, lifecycleActionsCompleted: 0 });
    const fix = desiredChanges(r, 'api-blue').find((c) => c.change === '4 → 6')!;
    expect(fix.t).toBeGreaterThanOrEqual(300); // the first reconcile, not an event
    expect(executions.some((e) => e.input === '{"action":"reconcile"}' && e.status === 'SUCCEEDED')).toBe(true);
  });

  it('ecs-join-timeout: the instance that never joins is abandoned and the count is not raised for it', async () => {
    const r = await runShipped('ecs-join-timeout');
    const { summary: s, timeline } = r;
    expect(s).toMatchObject({ outcome: 'converged', desiredCount: 6, expectedDesiredCount: 6, lifecycleActionsAbandoned: 1, lifecycleActionsCompleted: 1 });
    const abandoned = timeline.find((e) => /launch abandoned/.test(e.text))!;
    const raised = desiredChanges(r, 'api-blue').filter((c) => c.from === 4);
    expect(raised).toHaveLength(1);
    expect(raised[0].t).toBeGreaterThan(abandoned.t); // only once the replacement joined
  });

  it('ecs-scale-during-release: the live colour follows its group, the idle colour belongs to the release', async () => {
    const r = await runShipped('ecs-scale-during-release');
    const { summary: s, calls, executions } = r;
    expect(s).toMatchObject({ outcome: 'released', liveColor: 'green', failedRequests: 0, desiredCount: 6, expectedDesiredCount: 6, tasksStoppedWhileServing: 0 });
    const release = executions.find((e) => e.name.startsWith('shop-'))!;
    const switchedAt = release.statesEntered.find((x) => x.name === 'SwitchTraffic')!.t;
    const byCapacity = (c: (typeof calls)[number]) => ['setTaskCount', 'drainStart', 'reconcile'].includes(c.caller) && c.command === 'UpdateService';
    // Before the switch the capacity machine changed only blue (live): 6 → 8 for the new instance.
    expect(desiredChanges(r, 'shop-blue').some((c) => c.change === '6 → 8' && c.t < switchedAt)).toBe(true);
    expect(desiredChanges(r, 'shop-green').filter((c) => c.t < switchedAt && c.change !== '0 → 6')).toEqual([]);
    expect(calls.filter((c) => byCapacity(c) && c.t < switchedAt)).toHaveLength(1);
    // Green's launches went through the hooks, completed by the capacity machine, without a count change.
    expect(s.lifecycleActionsCompleted).toBeGreaterThanOrEqual(4);
  });
});

describe('Flow: the same scale-in without greenlight (control)', () => {
  it('kills tasks that are still serving and fails requests: what the hooks prevent', async () => {
    const { runInline } = await import('./helpers.js');
    const r = await runInline({
      physics: { bootSeconds: 60, agentSeconds: 10 },
      apps: [
        {
          name: 'api',
          kind: 'ecs',
          capacity: 'ec2',
          instances: 6,
          tasks: 12,
          instanceCpu: 1024,
          taskCpu: 512,
          requestsPerSecond: 20,
          healthCheck: { intervalSeconds: 10, healthyThresholdCount: 3, unhealthyThresholdCount: 2 },
          deregistrationDelaySeconds: 30,
        },
      ],
      steps: [{ at: 10, scale: { app: 'api', colour: 'blue', desired: 3 } }],
    });
    expect(r.world.ecs.tasksStoppedWhileServing).toBe(6);
    expect(r.summary.failedRequests).toBeGreaterThan(0);
  });
});

describe('Flow: a flapping group never drops serving capacity (issue 13 item 4)', () => {
  it('capacity-flap: 10 launch/terminate pairs in 30 s, over 10 seeds of victim choice: no request fails, never below 6 serving', async () => {
    const { loadScenarioFile, simulate } = await import('../../src/local/simulate.js');
    const { join } = await import('node:path');
    const heldSeeds: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const scenario = { ...loadScenarioFile(join(process.cwd(), 'scenarios', 'capacity-flap.yml')), seed };
      const r = await simulate(scenario);
      const { summary: s, executions } = r;
      expect({ seed, violations: s.invariantViolations, failed: s.failedRequests }).toEqual({ seed, violations: [], failed: 0 });
      expect(s).toMatchObject({ desiredCount: 6, expectedDesiredCount: 6, tasksStoppedWhileServing: 0 });
      // Every lifecycle action ended one way or the other, and is counted.
      expect(s.lifecycleActionsCompleted! + s.lifecycleActionsAbandoned! + s.lifecycleActionsTimedOut!).toBe(s.lifecycleEvents);
      // A launch check whose instance left the group ends at once, not at the join timeout (600 s).
      for (const e of executions.filter((x) => x.statesEntered.some((st) => st.name === 'LaunchGone')))
        expect(e.statesEntered.at(-1)!.t - e.statesEntered[0].t).toBeLessThan(120);
      // Whenever a serving instance was the victim, its drain waited for the replacement to join.
      if (executions.some((e) => e.statesEntered.filter((st) => st.name === 'DrainCheck').length > 5)) heldSeeds.push(seed);
      expect(r.world.capacityChanges.some((c) => c.from === 6 && c.to === 4)).toBe(false);
    }
    // The seeds differ in their victims: at least one held a serving instance.
    expect(heldSeeds.length).toBeGreaterThan(0);
  }, 240_000);
});
