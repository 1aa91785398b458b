import { describe, expect, it } from '@jest/globals';
import { allHealthyAt, desiredChanges, mutatingCalls, runShipped } from './helpers.js';

describe('Flow: ECS releases on the simulator', () => {
  it('ecs-release: Fargate, released with zero failed requests within 20% of the physical limit', async () => {
    const r = await runShipped('ecs-release');
    const s = r.summary;
    expect(s).toMatchObject({ outcome: 'released', liveColor: 'green', liveVersion: '3.3.0', failedRequests: 0, releases: 1 });
    expect(s.timeToLiveSeconds! / s.greenReadyBoundSeconds).toBeLessThanOrEqual(1.2); // Lambda cold starts and API latency count now (issue 15 brings it under 1.02)
    const green = r.world.ecs.service('api', 'api-green');
    const blue = r.world.ecs.service('api', 'api-blue');
    expect([green.desiredCount, blue.desiredCount]).toEqual([6, 0]);
    expect(desiredChanges(r, 'api-blue')[0]?.change).toBe('6 → 2'); // kept warm first
    expect(mutatingCalls(r, 'ModifyListener')).toHaveLength(1);
  });

  it('ecs-release: green is checked when its tasks can turn healthy (task start + interval × threshold), not on a fixed poll', async () => {
    const r = await runShipped('ecs-release');
    const states = r.executions[0].statesEntered;
    const checks = states.filter((x) => x.name === 'CheckGreen');
    const healthy = { t: allHealthyAt(r, 'api-green', 6)! };
    const ready = states.find((x) => x.name === 'StartShift')!;
    // One look after the first poll (tasks provisioning), one once they run, one at the health
    // instant, and a second's settle for ECS to mark the rollout complete: 15 looks on a 5 s poll.
    expect(checks.length).toBeLessThanOrEqual(5);
    expect(ready.t - healthy.t).toBeGreaterThanOrEqual(0);
    expect(ready.t - healthy.t).toBeLessThan(2.5);
    // The read that made the prediction: the running tasks' start times.
    expect(r.calls.filter((c) => c.caller === 'checkGreen' && c.command === 'DescribeTasks' && !c.error).length).toBeGreaterThanOrEqual(1);
  });

  it('the new task definition differs from the live one only in the manifest fields', async () => {
    const r = await runShipped('ecs-release');
    const ecs = r.world.ecs;
    const before = ecs.taskDefinition('api:1').def;
    const after = ecs.taskDefinition(ecs.service('api', 'api-green').taskDefinition).def;
    const expected = structuredClone(before);
    const api = expected.containerDefinitions[0] as unknown as { image: string; environment: { name: string; value: string }[] };
    api.image = after.containerDefinitions[0].image;
    api.environment = [...api.environment, { name: 'FEATURE_CHECKOUT_V2', value: 'on' }];
    expect(after).toEqual(expected);
    expect(after.containerDefinitions[0].image).toMatch(/\/api@sha256:[0-9a-f]{64}$/);
    expect(after.containerDefinitions[1]).toEqual(before.containerDefinitions[1]); // the sidecar is untouched
    expect(ecs.taskDefinition('api:2').tags).toEqual([{ key: 'greenlight:release', value: expect.stringMatching(/^greenlight api@3\.3\.0 s3v=/) }]);
  });

  it("ecs-ec2-release: green's Auto Scaling group is scaled (and joined) before green's service moves", async () => {
    const r = await runShipped('ecs-ec2-release');
    expect(r.summary).toMatchObject({ outcome: 'released', liveColor: 'green', liveVersion: '8.1.0', failedRequests: 0 });
    const scaleGroup = r.calls.find((c) => c.command === 'UpdateAutoScalingGroup' && !c.error)!;
    const updateService = r.calls.find((c) => c.command === 'UpdateService' && !c.error)!;
    expect(scaleGroup.t).toBeLessThan(updateService.t);
    // Green's service was started once its cluster's three instances had registered (the model's records).
    const green = [...r.world.ecs.containerInstances.values()].filter((c) => c.cluster === 'shop-green' && c.status === 'ACTIVE');
    expect(green).toHaveLength(3);
    expect(Math.max(...green.map((c) => c.registeredAt))).toBeLessThanOrEqual(updateService.t);
    // Blue's capacity is retired with it.
    expect(r.world.groups.get('shop-blue-capacity')!.desired).toBe(0);
    expect(r.world.groups.get('shop-green-capacity')!.desired).toBe(3);
    expect(r.summary.timeToLiveSeconds! / r.summary.greenReadyBoundSeconds).toBeLessThanOrEqual(1.2); // Lambda cold starts and API latency count now (issue 15 brings it under 1.02)
  });

  it('ecs-unhealthy: the crash loop is caught from failed tasks and rolled back long before the timeout', async () => {
    const r = await runShipped('ecs-unhealthy');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', liveVersion: '3.2.0', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/GreenCrashLooping: green \(api-green\) is crash-looping: \d+ tasks stopped before turning healthy \(limit 3\)/);
    const exec = r.executions[0];
    const timeout = 900;
    expect(exec.stoppedAt! - exec.startedAt).toBeLessThan(timeout / 5);
    expect(mutatingCalls(r, 'ModifyListener')).toHaveLength(0);
    expect(r.world.ecs.service('api', 'api-green').desiredCount).toBe(0);
  });

  it('ecs-ecr-push: a matching tag becomes a manifest pinned by digest and releases; "latest" is ignored', async () => {
    const r = await runShipped('ecs-ecr-push');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '3.3.0', executions: 1, failedRequests: 0 });
    const manifest = JSON.parse(r.world.s3.getObject('greenlight-artifacts-sim', 'releases/api/3.3.0.json').body.toString());
    expect(manifest).toEqual({ version: '3.3.0', images: { app: expect.stringMatching(/^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/api@sha256:[0-9a-f]{64}$/) }, description: 'ECR push api:3.3.0' });
    expect(r.timeline.some((e) => e.text.startsWith('ECR push ignored for api: tag latest'))).toBe(true);
    expect(() => r.world.s3.getObject('greenlight-artifacts-sim', 'releases/api/latest.json')).toThrow();
  });

  it('a task role not listed in passRoles is refused by Plan (naming the role and the field), before any change; the same role listed releases', async () => {
    const { loadScenarioFile, simulate } = await import('../../src/local/simulate.js');
    const { join } = await import('node:path');
    const { ROOT } = await import('../../src/local/definitions.js');
    const base = loadScenarioFile(join(ROOT, 'scenarios', 'ecs-release.yml'));
    const only = (passRoles: string[]) => ({ ...base, expect: undefined, apps: base.apps.map((a) => ({ ...a, greenlight: { ...a.greenlight, passRoles } })) });
    const refused = await simulate(only(['arn:aws:iam::123456789012:role/api-execution']));
    expect(refused.summary).toMatchObject({ outcome: 'rejected', mutatingCalls: 0, accessDenied: 0, liveVersion: '3.2.0' });
    expect(refused.summary.reason).toMatch(/uses arn:aws:iam::123456789012:role\/api-task, not in apps\.api\.passRoles: list it there/);
    const listed = await simulate(only(['arn:aws:iam::123456789012:role/api-execution', 'arn:aws:iam::123456789012:role/api-task']));
    expect(listed.summary).toMatchObject({ outcome: 'released', accessDenied: 0, liveVersion: '3.3.0' });
  });
});

