import { describe, expect, it } from '@jest/globals';
import type { SimulationResult } from '../../src/local/simulate.js';
import { SIM_TABLE, SIM_TOPIC } from '../../src/sim/build.js';
import { mutatingCalls, runInline, runShipped, webApp } from './helpers.js';

function history(r: SimulationResult, app = 'web') {
  return r.world.dynamodb
    .query({ TableName: SIM_TABLE, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': { S: `app#${app}` }, ':p': { S: 'release#' } } })
    .Items.map((i) => ({ version: i.version.S, outcome: i.outcome.S, action: i.action.S, before: i.before, after: i.after, reason: i.reason?.S, artifact: i.artifact }));
}

function lockOf(r: SimulationResult, app = 'web') {
  return r.world.dynamodb.getItem({ TableName: SIM_TABLE, Key: { pk: { S: `app#${app}` }, sk: { S: 'lock' } } }).Item;
}

const events = (r: SimulationResult) => r.world.published.filter((e) => e.source === 'greenlight');

describe('Flow: one release per app at a time', () => {
  it('concurrent-releases: three uploads 5 s apart never interleave; the middle one is superseded; the newest ends live', async () => {
    const r = await runShipped('concurrent-releases');
    const s = r.summary;
    expect(s).toMatchObject({ outcome: 'released', uploads: 3, interleaved: 0, superseded: 1, version: '1.4.4', liveVersion: '1.4.4', failedRequests: 0 });
    const byVersion: Record<string, (typeof r.executions)[number]> = Object.fromEntries(r.executions.map((e) => [JSON.parse(e.input).detail.object.key.split('/').pop(), e]));
    expect(byVersion['1.4.3.json'].output).toMatchObject({ outcome: 'superseded', version: '1.4.3' });
    // The superseded release never touched the app.
    expect(byVersion['1.4.3.json'].statesEntered.map((x) => x.name)).not.toContain('Plan');
    // 1.4.2 was released, and left its old colour to 1.4.4 instead of retiring it.
    expect(byVersion['1.4.2.json'].output).toMatchObject({ outcome: 'released' });
    expect(byVersion['1.4.2.json'].statesEntered.map((x) => x.name)).toContain('FinishHandedOver');
    // One step (keep warm) and no more: it never took the old colour to zero.
    expect(byVersion['1.4.2.json'].statesEntered.filter((x) => x.name === 'RetireStep')).toHaveLength(1);
    // 1.4.4 waited for the lock and only planned once 1.4.2 had switched traffic.
    const switched142 = byVersion['1.4.2.json'].statesEntered.find((x) => x.name === 'SwitchTraffic')!.t;
    const planned144 = byVersion['1.4.4.json'].statesEntered.find((x) => x.name === 'Plan')!.t;
    expect(planned144).toBeGreaterThan(switched142);
    expect(history(r).map((h) => [h.version, h.outcome]).sort()).toEqual([
      ['1.4.2', 'released'],
      ['1.4.3', 'superseded'],
      ['1.4.4', 'released'],
    ]);
    expect(lockOf(r)?.owner).toBeUndefined();
  });

  it('a crashed owner’s lease runs out, so the app is never locked forever', async () => {
    const r = await runInline({ apps: [webApp], staleLocks: [{ app: 'web', leaseSecondsLeft: 120 }], steps: [{ at: 5, upload: { app: 'web', version: '1.1.0' } }] });
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.1.0', failedRequests: 0 });
    const [e] = r.executions;
    const firstPlan = e.statesEntered.find((x) => x.name === 'Plan')!.t;
    // It waited for the lease (120 s from the start), then took the lock over.
    expect(firstPlan).toBeGreaterThanOrEqual(120);
    expect(firstPlan).toBeLessThan(120 + 31);
    expect(e.statesEntered.filter((x) => x.name === 'WaitForLock').length).toBeGreaterThan(1);
  });
});

describe('Flow: hand-typed rollback and retire (asg)', () => {
  const warmApp = { ...webApp, greenlight: { ...webApp.greenlight, retire: { keepWarmInstances: 2, keepWarmMinutes: 30 } } };

  it('{"action":"rollback"} while the old colour is warm flips back to it within seconds; the release yields its lock', async () => {
    const r = await runInline({
      apps: [warmApp],
      steps: [
        { at: 5, upload: { app: 'web', version: '1.1.0' } },
        { at: 400, startRelease: { input: { app: 'web', action: 'rollback' } } },
      ],
    });
    const [release, rollback] = r.executions;
    expect(rollback.output).toMatchObject({ outcome: 'rolled-back', version: '1.0.0', liveColour: 'blue' });
    expect(r.summary).toMatchObject({ liveColor: 'blue', liveVersion: '1.0.0', failedRequests: 0 });
    // Blue was warm at full size: no instance had to boot; the switch came within seconds.
    const switched = rollback.statesEntered.find((x) => x.name === 'SwitchTraffic')!.t;
    expect(switched - 400).toBeLessThan(10);
    expect(release.output).toMatchObject({ outcome: 'released' });
    expect(release.statesEntered.map((x) => x.name)).toContain('FinishHandedOver');
    expect(history(r).find((h) => h.action === 'rollback')).toMatchObject({ version: '1.0.0', outcome: 'rolled-back' });
  });

  it('{"action":"rollback"} after the old colour was retired re-releases the previous version', async () => {
    const r = await runInline({
      apps: [webApp],
      steps: [
        { at: 5, upload: { app: 'web', version: '1.1.0' } },
        { at: 600, startRelease: { input: { app: 'web', action: 'rollback' } } },
      ],
    });
    const rollback = r.executions[1];
    expect(rollback.output).toMatchObject({ outcome: 'rolled-back', version: '1.0.0' });
    expect(r.summary).toMatchObject({ liveVersion: '1.0.0', failedRequests: 0 });
    // Cold: blue had to boot again (its pinned launch template version was reused, not recreated).
    expect(mutatingCalls(r, 'CreateLaunchTemplateVersion').filter((c) => c.t >= 600)).toEqual([]);
    expect(mutatingCalls(r, 'UpdateAutoScalingGroup').filter((c) => c.t >= 600).length).toBeGreaterThan(0);
  });

  it('{"action":"retire"} scales the idle colour to zero at once and ends the keep-warm window early', async () => {
    const r = await runInline({
      apps: [warmApp],
      steps: [
        { at: 5, upload: { app: 'web', version: '1.1.0' } },
        { at: 400, startRelease: { input: { app: 'web', action: 'retire' } } },
      ],
    });
    const retire = r.executions[1];
    expect(retire.output).toMatchObject({ outcome: 'released', retiredColour: 'blue', liveColour: 'green' });
    expect(r.world.group('web-blue').desired).toBe(0);
    expect(r.summary).toMatchObject({ liveVersion: '1.1.0', failedRequests: 0 });
    const retired = mutatingCalls(r, 'UpdateAutoScalingGroup').filter((c) => c.t >= 400);
    expect(retired.length).toBe(1);
    expect(retired[0].t - 400).toBeLessThan(5);
  });
});

describe('Flow: history, notifications, metrics', () => {
  it('a release writes one history record and publishes started → green healthy → traffic shifted → succeeded, on EventBridge and SNS', async () => {
    const r = await runInline({ apps: [webApp], steps: [{ at: 5, upload: { app: 'web', version: '1.1.0' } }] });
    expect(events(r).map((e) => e.detailType)).toEqual(['Release Started', 'Green Healthy', 'Traffic Shifted', 'Release Succeeded']);
    const done = events(r)[3].detail as Record<string, unknown>;
    expect(done).toMatchObject({ schemaVersion: '1', event: 'succeeded', app: 'web', version: '1.1.0', outcome: 'released', before: { colour: 'blue', version: '1.0.0' }, after: { colour: 'green', version: '1.1.0' } });
    expect(done.artifact).toMatchObject({ bucket: 'greenlight-artifacts-sim', key: 'releases/web/1.1.0.json' });
    expect((done.artifact as { sha256: string }).sha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(events(r)[2].detail).toMatchObject({ event: 'traffic-shifted', percent: 100 });
    expect(events(r)[1].detail).toMatchObject({ event: 'green-healthy', healthy: 2, desired: 2 });
    // SNS: the same four, as AWS Chatbot custom notifications.
    expect(r.world.snsMessages.map((m) => m.topicArn)).toEqual([SIM_TOPIC, SIM_TOPIC, SIM_TOPIC, SIM_TOPIC]);
    const chat = JSON.parse(r.world.snsMessages[3].message);
    expect(chat).toMatchObject({ version: '1.0', source: 'custom', content: { title: expect.stringContaining('web 1.1.0: released (blue 1.0.0 → green 1.1.0)') } });
    expect(r.world.snsMessages[3].subject).toMatch(/^greenlight web 1\.1\.0: released/);
    const [h] = history(r);
    expect(h).toMatchObject({ version: '1.1.0', outcome: 'released', action: 'release' });
    // Powertools Metrics (EMF): duration, outcome count.
    const emf = r.world.metrics.map((m) => m.emf as Record<string, unknown>);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ app: 'web', outcome: 'released', Releases: 1 });
    expect(emf[0].ReleaseDuration).toBeGreaterThan(60);
  });

  it('a rolled-back release is recorded and announced with its reason, and counted as a rollback', async () => {
    const r = await runShipped('asg-unhealthy');
    expect(events(r).map((e) => e.detailType)).toEqual(['Release Started', 'Release Rolled Back']);
    const [h] = history(r);
    expect(h.outcome).toBe('rolled-back');
    expect(h.reason).toMatch(/GreenHealthTimeout/);
    expect(r.world.metrics.map((m) => m.emf)).toEqual([expect.objectContaining({ Rollbacks: 1, outcome: 'rolled-back' })]);
    expect(lockOf(r)?.owner).toBeUndefined();
  });

  it('a release rejected after taking the lock lets the lock go, records "rejected", and changes no infrastructure', async () => {
    const r = await runInline({
      apps: [{ ...webApp, greenlight: { ...webApp.greenlight, launchTemplateId: 'lt-0000000000000dead' } }],
      steps: [{ at: 5, upload: { app: 'web', version: '1.1.0' } }],
    });
    expect(r.summary.outcome).toBe('rejected');
    expect(r.summary.mutatingCalls).toBe(0);
    expect(history(r)[0]).toMatchObject({ outcome: 'rejected' });
    expect(lockOf(r)?.owner).toBeUndefined();
    expect(events(r).map((e) => e.detailType)).toEqual(['Release Started', 'Release Rejected']);
  });

  it('a notification that cannot be delivered never changes the outcome', async () => {
    const r = await runInline({
      apps: [webApp],
      faults: [
        { command: 'PutEvents', kind: 'access-denied', times: 100 },
        { command: 'Publish', kind: 'server-error', times: 100 },
      ],
      steps: [{ at: 5, upload: { app: 'web', version: '1.1.0' } }],
    });
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.1.0', failedRequests: 0 });
    expect(events(r)).toEqual([]);
    expect(history(r)[0]).toMatchObject({ outcome: 'released' });
  });
});

describe('Flow: a hand-typed rollback after a failed release', () => {
  it('goes back to the version that served before the live one, not to the failed version left on the idle colour', async () => {
    // 1.1.0 released over 1.0.0; 1.2.0 is broken and rolled back (its colour stays pinned to it);
    // then {"app":"web","action":"rollback"}: 1.0.0 must come back, not 1.2.0.
    const r = await runInline({
      apps: [webApp],
      brokenVersions: ['1.2.0'],
      steps: [
        { at: 5, upload: { app: 'web', version: '1.1.0' } },
        { at: 400, upload: { app: 'web', version: '1.2.0' } },
        { at: 1200, startRelease: { input: { app: 'web', action: 'rollback' } } },
      ],
    });
    const rollback = r.executions.find((e) => JSON.parse(e.input).action === 'rollback')!;
    expect(rollback.status).toBe('SUCCEEDED');
    expect((rollback.output as { version?: string }).version).toBe('1.0.0');
    const last = r.traffic.seconds.get('web')!.at(-1)!;
    expect(Object.keys(last.versions)).toEqual(['1.0.0']);
  });
});
