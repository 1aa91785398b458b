import { describe, expect, it } from '@jest/globals';
import { allHealthyAt, mutatingCalls, runInline, runShipped } from './helpers.js';

const holder = (r: Awaited<ReturnType<typeof runShipped>>) => r.world.ec2.address([...r.world.ec2.addresses.keys()][0]);

describe('Flow: single-server apps behind an Elastic IP (kind eip)', () => {
  it('eip-release: stamped, checked, the address moves in one call, the old server is stopped then terminated', async () => {
    const r = await runShipped('eip-release');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '2.4.0', failedRequests: 0 });
    expect(mutatingCalls(r, 'AssociateAddress')).toHaveLength(1);
    const live = r.world.instances.get(holder(r).instanceId!)!;
    expect(live.version).toBe('2.4.0');
    expect(live.tags).toMatchObject({ 'greenlight:app': 'site', 'greenlight:release': expect.stringMatching(/^greenlight site@2\.4\.0 /) });
    const old = [...r.world.instances.values()].find((i) => i.version === '2.3.0')!;
    expect(old.state).toBe('terminated');
    // Stopped first (the rollback window), terminated after it.
    const [stopped] = mutatingCalls(r, 'StopInstances');
    const [terminated] = mutatingCalls(r, 'TerminateInstances');
    expect([mutatingCalls(r, 'StopInstances').length, mutatingCalls(r, 'TerminateInstances').length]).toEqual([1, 1]);
    expect(terminated.t - stopped.t).toBeGreaterThanOrEqual(600);
    // Smoke checks ran before the move; the status alarm follows the live server.
    expect(r.world.ec2.alarms.get('greenlight-site-status')!.instanceId).toBe(live.id);
  });

  it('eip-unhealthy: rolled back, the new server terminated, the old one served throughout', async () => {
    const r = await runShipped('eip-unhealthy');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '2.3.0', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/GreenHealthTimeout: .* health check: GET http:\/\/10\.[0-9.]+:80\/health → no answer \(expected 200, 3 tries\)/);
    expect(mutatingCalls(r, 'AssociateAddress')).toHaveLength(0);
    expect([...r.world.instances.values()].find((i) => i.version === '2.4.0')!.state).toBe('terminated');
    expect(r.world.instances.get(holder(r).instanceId!)!.version).toBe('2.3.0');
  });

  it('eip-rollback: inside the window the stopped old server is started, checked, and serves again', async () => {
    const r = await runShipped('eip-rollback');
    expect(r.summary).toMatchObject({ liveVersion: '2.3.0', failedRequests: 0 });
    const rollback = r.executions.find((e) => e.input.includes('"action":"rollback"'))!;
    expect(rollback.status).toBe('SUCCEEDED');
    const live = r.world.instances.get(holder(r).instanceId!)!;
    expect(live.version).toBe('2.3.0');
    expect(live.launchedAt).toBeLessThan(0); // the original server, not a new one
    // The release it undid was keeping the old server for rollback: it yielded its lock to the
    // rollback and, at the end of its window, left that server alone instead of terminating it.
    const release = r.executions.find((e) => e.name.startsWith('site-2_4_0'))!;
    expect(release.output).toMatchObject({ outcome: 'released' });
    expect(release.statesEntered.map((s) => s.name)).toContain('FinishHandedOver');
    expect(release.statesEntered.filter((s) => s.name === 'RetireStep')).toHaveLength(1);
  });

  it('a live server launched by hand (no greenlight tags): the new version derives from the version it runs, read from EC2\'s tag', async () => {
    const { startSession, runToQuiet, loadScenario, summarize } = await import('../../src/local/simulate.js');
    const session = startSession(loadScenario({ name: 'by-hand', description: 'test', apps: [{ name: 'site', kind: 'eip', initialVersion: '2.3.0' }], steps: [{ at: 10, upload: { app: 'site', version: '2.4.0' } }] }));
    const w = session.world;
    const live = [...w.instances.values()][0];
    const lt = w.launchTemplates.get(live.launchTemplateId)!;
    // Someone launched the server by hand from version 2 (a bigger instance); the default stays 1.
    const v2 = w.createLaunchTemplateVersion(lt.id, '1', { InstanceType: 'm7g.large' }, 'by hand');
    delete live.tags!['greenlight:lt-version'];
    Object.assign(live, { launchTemplateVersion: v2.number });
    live.tags!['aws:ec2launchtemplate:version'] = String(v2.number);
    const r = summarize(session, await runToQuiet(session));
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '2.4.0' });
    const created = lt.versions.get(lt.latestVersion)!;
    expect(created.description).toMatch(/2\.4\.0/);
    expect(created.data.InstanceType).toBe('m7g.large'); // from version 2, not the default (t3.small)
    expect(lt.defaultVersion).toBe(1);
  });

  it('networking: an eip app needs vpc:; outside the VPC a function cannot reach a server\'s private address', async () => {
    const { parseConfig } = await import('../../src/core/config.js');
    const { simDeps } = await import('../../src/local/deps.js');
    const { startSession, loadScenario } = await import('../../src/local/simulate.js');
    const { RELEASE_STATE_MACHINE_ARN } = await import('../../src/local/simulate.js');
    const app = { kind: 'eip', allocationId: 'eipalloc-0123456789abcdef0', launchTemplateId: 'lt-0123456789abcdef0', artifact: { type: 'ami' } };
    expect(() => parseConfig({ apps: { site: app } })).toThrow(/vpc: required for eip apps \(site\): their health checks call the new server's private address/);
    // A scenario whose functions are outside the VPC cannot even be configured with its eip app.
    expect(() => startSession(loadScenario({ name: 'x', description: 'x', functionsInVpc: false, apps: [{ name: 'site', kind: 'eip', initialVersion: '1.0.0' }], steps: [{ at: 10, upload: { app: 'site', version: '1.0.1' } }] }))).toThrow(/vpc: required for eip apps/);
    const session = startSession(loadScenario({ name: 'x', description: 'x', apps: [{ name: 'site', kind: 'eip', initialVersion: '1.0.0' }], steps: [{ at: 10, upload: { app: 'site', version: '1.0.1' } }] }));
    try {
      const server = [...session.world.instances.values()][0];
      const url = `http://${server.privateIp}:80/health`;
      const as = (caller: string) => simDeps({ ...session, caller, releaseStateMachineArn: RELEASE_STATE_MACHINE_ARN }).http(url);
      const [inside, outside] = await Promise.all([as('checkGreen'), as('plan'), session.procs.runUntil(() => false, 10)]);
      expect(inside.status).toBe(200);
      expect(outside.status).toBe(0); // a function outside the VPC reaches public endpoints only
    } finally {
      session.uninstall();
    }
  });

  it('a rollback after the window has nothing to start and changes nothing', async () => {
    const r = await runInline({
      physics: { bootSeconds: 40, statusCheckSeconds: 30 },
      apps: [{ name: 'site', kind: 'eip', initialVersion: '2.3.0', greenlight: { retire: { keepStoppedMinutes: 2 } } }],
      steps: [
        { at: 10, upload: { app: 'site', version: '2.4.0' } },
        { at: 600, startRelease: { input: { app: 'site', action: 'rollback' } } },
      ],
    });
    const rollback = r.executions.find((e) => e.input.includes('rollback'))!;
    expect(rollback.error).toBe('ReleaseRejected');
    expect(rollback.cause).toMatch(/nothing to roll back to: site has no stopped previous server/);
    expect(mutatingCalls(r).filter((c) => c.t >= 600)).toEqual([]);
  });

  it('replace-instance: a failed status check is replaced from the last good release, not rebooted', async () => {
    const r = await runShipped('replace-instance');
    const s = r.summary;
    expect(s).toMatchObject({ outcome: 'released', liveVersion: '2.3.0' });
    const p = { boot: 40, statusChecks: 30, detection: 60 };
    // Bound: boot + health-check time (detection by the alarm + status checks on the replacement) + 30 s.
    expect(s.replacementSeconds!).toBeLessThanOrEqual(p.boot + p.detection + p.statusChecks + 30);
    const faulty = [...r.world.instances.values()].find((i) => i.impaired)!;
    expect(faulty.state).toBe('terminated');
    expect(mutatingCalls(r, 'RebootInstances')).toHaveLength(0);
  });

  it('eip-image-release: stamped from an image of the live server (no reboot), old release images pruned', async () => {
    const r = await runShipped('eip-image-release');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '2.5.0', failedRequests: 0 });
    const images = [...r.world.images.values()].filter((i) => i.name.startsWith('greenlight-site-'));
    expect(images.map((i) => [i.name.split('-')[2], i.state])).toEqual([
      ['2.4.0', 'deregistered'],
      ['2.5.0', 'available'],
    ]);
    expect(r.timeline.some((e) => /reboots for CreateImage/.test(e.text))).toBe(false);
  });

  it('a replacement of an image-stamped server runs the live release, not the image it was stamped from', async () => {
    const r = await runInline({
      physics: { bootSeconds: 40, statusCheckSeconds: 30, imageSeconds: 60 },
      apps: [{ name: 'site', kind: 'eip', artifact: 'bundle', initialVersion: '2.3.0', greenlight: { stamp: 'image', retire: { keepStoppedMinutes: 2 } } }],
      steps: [
        { at: 10, upload: { app: 'site', version: '2.4.0' } },
        { at: 500, failInstance: { app: 'site' } },
      ],
      limitSeconds: 3600,
    });
    const live = r.world.instances.get(holder(r).instanceId!)!;
    expect(live.tags!['greenlight:replaces']).toBeDefined();
    expect(live.version).toBe('2.4.0');
    expect(r.summary.liveVersion).toBe('2.4.0');
  });
});

describe('Flow: replace, don\'t reboot, for an Auto Scaling app', () => {
  it('asg-replace-instance: the alarm names the instance, it is marked Unhealthy and Auto Scaling replaces it', async () => {
    const r = await runShipped('asg-replace-instance');
    expect(r.summary.outcome).toBe('replaced');
    const faulty = [...r.world.instances.values()].find((i) => i.impaired)!;
    expect(faulty.state).toBe('terminated');
    expect(mutatingCalls(r, 'SetInstanceHealth')).toHaveLength(1);
    const g = r.world.group('web-blue');
    expect(g.instances.map((id) => r.world.instances.get(id)!.lifecycle)).toEqual(['InService', 'InService', 'InService']);
    expect(allHealthyAt(r, 'web-blue', 3)).toBeDefined();
    // Only until the load balancer's health checks took the instance out (2 × 10 s).
    expect(r.summary.failedRequests).toBeLessThanOrEqual(40);
  });

  it('an alarm naming an instance outside the app\'s groups is rejected and nothing is touched', async () => {
    const r = await runInline({
      apps: [{ name: 'web', instances: 2, greenlight: { replaceOnAlarms: ['web-status'] } }],
      steps: [
        {
          at: 10,
          startRelease: {
            input: {
              source: 'aws.cloudwatch',
              'detail-type': 'CloudWatch Alarm State Change',
              detail: {
                alarmName: 'web-status',
                state: { value: 'ALARM' },
                configuration: { metrics: [{ metricStat: { metric: { dimensions: { InstanceId: 'i-0123456789abcdef0' } } } }] },
              },
            },
          },
        },
      ],
    });
    expect(r.summary.outcome).toBe('rejected');
    expect(r.summary.reason).toMatch(/instance i-0123456789abcdef0 is not in web-blue or web-green: not touching it/);
    expect(r.summary.mutatingCalls).toBe(0);
  });
});
