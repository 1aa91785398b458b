import { describe, expect, it } from '@jest/globals';
import { allHealthyAt, desiredChanges, mutatingCalls, runShipped } from './helpers.js';

describe('Flow: shipped asg scenarios on the simulator', () => {
  it('asg-release: released, zero failed requests, within 20% of the physical limit', async () => {
    const r = await runShipped('asg-release');
    const s = r.summary;
    expect(s).toMatchObject({ outcome: 'released', liveColor: 'green', liveVersion: '1.4.2', failedRequests: 0, executions: 1, releases: 1 });
    expect(s.requests).toBeGreaterThan(1000);
    expect(s.timeToLiveSeconds! / s.greenReadyBoundSeconds).toBeLessThanOrEqual(1.1); // Lambda cold starts and API latency count (npm run bench has the figure)
    // Green is pinned to a new launch template version carrying the uploaded AMI.
    const green = r.world.groups.get('web-green')!;
    const lt = r.world.launchTemplates.get(green.launchTemplateId)!;
    const pinned = lt.versions.get(Number(green.launchTemplateVersion))!;
    expect(r.world.images.get(pinned.data.ImageId!)!.version).toBe('1.4.2');
    expect(pinned.data.InstanceType).toBe('t3.small'); // carried over from the live version
    expect(green.desired).toBe(4);
    // The route moved exactly once, only after every green target was healthy.
    const modify = mutatingCalls(r, 'ModifyListener');
    expect(modify).toHaveLength(1);
    const healthy = allHealthyAt(r, 'web-green', 4)!;
    expect(modify[0].t).toBeGreaterThanOrEqual(healthy);
    // Blue was kept warm at one instance for the window, then retired.
    expect(desiredChanges(r, 'web-blue').map((c) => c.change)).toContain('4 → 1');
    expect(r.world.groups.get('web-blue')!.desired).toBe(0);
    const out = r.executions[0].output as Record<string, unknown>;
    expect(out).toMatchObject({ outcome: 'released', app: 'web', version: '1.4.2', liveColour: 'green', previousColour: 'blue', previousVersion: '1.4.1' });
  });

  it('asg-release: green is checked when it can turn healthy (registration + interval × threshold), not on a fixed poll', async () => {
    const r = await runShipped('asg-release');
    const states = r.executions[0].statesEntered;
    const checks = states.filter((x) => x.name === 'CheckGreen');
    const healthy = { t: allHealthyAt(r, 'web-green', 4)! };
    const ready = states.find((x) => x.name === 'StartShift')!;
    // One look after the first poll (instances pending), one when they are all in service, one at the health instant.
    expect(checks.length).toBeLessThanOrEqual(4);
    // Noticed within a second of the target group reporting green healthy (a 5 s poll is up to 5 s late).
    expect(ready.t - healthy.t).toBeGreaterThanOrEqual(0);
    expect(ready.t - healthy.t).toBeLessThan(1);
    // The read that made the prediction: the group's launch activities, once green was in service.
    expect(r.calls.filter((c) => c.command === 'DescribeScalingActivities' && !c.error).length).toBeGreaterThanOrEqual(1);
  });

  it('asg-unhealthy: rolled back on the health timeout, blue served throughout, green at zero', async () => {
    const r = await runShipped('asg-unhealthy');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', liveVersion: '1.4.1', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/GreenHealthTimeout: green \(web-green\) not healthy after 300 s: 4\/4 InService, 0\/4 healthy/);
    expect(mutatingCalls(r, 'ModifyListener')).toHaveLength(0);
    const green = r.world.groups.get('web-green')!;
    expect([green.min, green.desired]).toEqual([0, 0]);
    expect(r.world.groups.get('web-blue')!.desired).toBe(4);
  });

  it('asg-bad-manifest: rejected with a clear reason and no mutating call', async () => {
    const r = await runShipped('asg-bad-manifest');
    expect(r.summary).toMatchObject({ outcome: 'rejected', mutatingCalls: 0, failedRequests: 0, liveColor: 'blue' });
    expect(r.summary.reason).toMatch(/manifest releases\/web\/1\.4\.2\.json is not valid JSON.*expected \{"version":"1\.4\.2","imageId":"ami-\.\.\."\}/);
    expect(mutatingCalls(r)).toEqual([]);
  });

  it('asg-duplicate-event: two deliveries, one execution, one release', async () => {
    const r = await runShipped('asg-duplicate-event');
    expect(r.summary).toMatchObject({ outcome: 'released', executions: 1, releases: 1, failedRequests: 0 });
    // Both deliveries reached the dispatcher and asked for the same execution name; Step Functions
    // returned the running execution for the second (same name, same input), so nothing new started.
    const starts = r.calls.filter((c) => c.caller === 'dispatch' && c.command === 'StartExecution' && !c.error);
    expect(starts).toHaveLength(2);
    expect(r.summary.executions).toBe(1);
    expect(mutatingCalls(r, 'CreateLaunchTemplateVersion')).toHaveLength(1);
  });

  it('asg-rule-route: web released from a bundle through its rule; api untouched', async () => {
    const before = await runShipped('asg-rule-route');
    const s = before.summary;
    expect(s).toMatchObject({ outcome: 'released', liveColor: 'green', liveVersion: '2.1.0', failedRequests: 0, otherAppsChanged: 0 });
    expect(s.timeToLiveSeconds! / s.greenReadyBoundSeconds).toBeLessThanOrEqual(1.2); // Lambda cold starts and API latency count now (issue 15 brings it under 1.02)
    expect(mutatingCalls(before, 'ModifyRule')).toHaveLength(1);
    expect(mutatingCalls(before, 'ModifyListener')).toHaveLength(0);
    // The other app kept serving its version with no failure.
    const api = before.traffic.seconds.get('api')!;
    expect(api.reduce((n, x) => n + x.failed, 0)).toBe(0);
    expect(api.every((x) => x.versions['7.1.0'] === x.total)).toBe(true);
    // The bundle is pinned by S3 version id in the rendered user data.
    const g = before.world.groups.get('web-green')!;
    const v = before.world.launchTemplates.get(g.launchTemplateId)!.versions.get(Number(g.launchTemplateVersion))!;
    const userData = Buffer.from(v.data.UserData!, 'base64').toString();
    const obj = before.world.s3.getObject('greenlight-artifacts-sim', 'releases/web/2.1.0.tar.gz');
    expect(userData).toContain(`--version-id ${obj.versionId}`);
    expect(userData).toContain('s3://greenlight-artifacts-sim/releases/web/2.1.0.tar.gz');
  });

  it('asg-throttled: throttles and 5xx are retried (SDK, then Step Functions) and the release completes', async () => {
    const r = await runShipped('asg-throttled');
    expect(r.summary).toMatchObject({ outcome: 'released', failedRequests: 0, liveColor: 'green' });
    expect(r.calls.filter((c) => c.command === 'ModifyListener' && c.error === 'Throttling')).toHaveLength(4);
    expect(r.calls.filter((c) => c.command === 'DescribeTargetHealth' && c.error === 'InternalFailure')).toHaveLength(2);
    expect(r.calls.filter((c) => c.command === 'ModifyListener' && !c.error)).toHaveLength(1);
  });
});
