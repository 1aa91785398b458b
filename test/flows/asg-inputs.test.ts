import { describe, expect, it } from '@jest/globals';
import { mutatingCalls, runInline, webApp } from './helpers.js';

describe('Flow: hand-typed inputs and failure paths', () => {
  it('{"app","version"} finds the artifact already in S3; a re-run of a live release changes nothing', async () => {
    const r = await runInline({
      apps: [webApp],
      steps: [
        { at: 5, upload: { app: 'web', version: '1.1.0' } },
        { at: 600, startRelease: { input: { app: 'web', version: '1.1.0' } } },
      ],
    });
    expect(r.executions).toHaveLength(2);
    const [first, rerun] = r.executions;
    expect(first.status).toBe('SUCCEEDED');
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.output).toMatchObject({ outcome: 'already-live', note: 'this artifact (the same content) is already live; nothing to do', liveColour: 'green' });
    expect(mutatingCalls(r).filter((c) => c.t >= 600)).toEqual([]);
  });

  it('a hand-typed release of a version that was never uploaded is rejected with the expected key', async () => {
    const r = await runInline({ apps: [webApp], steps: [{ at: 5, startRelease: { input: { app: 'web', version: '9.9.9' } } }] });
    expect(r.summary.outcome).toBe('rejected');
    expect(r.summary.reason).toMatch(/no artifact for web 9\.9\.9: upload one of s3:\/\/greenlight-artifacts-sim\/releases\/web\/9\.9\.9\.json/);
    expect(r.summary.mutatingCalls).toBe(0);
  });

  it.each([
    [{ app: 'shop', version: '1.0.0' }, /unknown app "shop".*configured: web/],
    [{ app: 'web' }, /input must be an S3 "Object Created" event, \{"app":"<app>","version":"<version>"\} or \{"app":"<app>","action":"rollback"\}: version/],
    [{ app: 'web', action: 'rollback' }, /nothing to roll back to: both colours of web are pinned to 1\.0\.0/],
    [{ app: 'web', action: 'deploy' }, /input must be \{"app":"<app>","action":"rollback"\}, \{"app":"<app>","action":"retire"\} or \{"app":"<app>","action":"prewarm","capacity":<n>\}: action: one of "rollback", "retire", "prewarm"/],
    [{ app: 'web', version: '../../etc' }, /version: 1-64 characters/],
    [{ app: 'web', version: '1.0.0', extra: true }, /Unrecognized key/i],
  ])('rejects %j without any change', async (input, reason) => {
    const r = await runInline({ apps: [webApp], steps: [{ at: 5, startRelease: { input } }] });
    expect(r.summary.outcome).toBe('rejected');
    expect(r.summary.reason).toMatch(reason);
    expect(r.summary.mutatingCalls).toBe(0);
  });

  it('an upload for an unknown app or outside the naming convention is rejected', async () => {
    const r = await runInline({ apps: [webApp], steps: [{ at: 5, uploadRaw: { key: 'releases/web/1.2.0.tar.gz', body: 'x' } }] });
    expect(r.summary.outcome).toBe('rejected');
    expect(r.summary.reason).toMatch(/app "web" releases AMIs: upload a manifest releases\/web\/1\.2\.0\.json/);
    expect(r.summary.mutatingCalls).toBe(0);
  });

  it('a manifest naming an AMI that does not exist is rejected before any change', async () => {
    const r = await runInline({
      apps: [webApp],
      steps: [{ at: 5, uploadRaw: { key: 'releases/web/1.2.0.json', body: '{"version":"1.2.0","imageId":"ami-0000000000000dead"}' } }],
    });
    expect(r.summary).toMatchObject({ outcome: 'rejected', mutatingCalls: 0 });
    expect(r.summary.reason).toMatch(/names ami-0000000000000dead, which does not exist/);
  });

  it('a denied listener change rolls back: green to zero, traffic never left blue', async () => {
    const r = await runInline({
      apps: [webApp],
      faults: [{ command: 'ModifyListener', kind: 'access-denied', times: 10 }],
      steps: [{ at: 5, upload: { app: 'web', version: '1.1.0' } }],
    });
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveColor: 'blue', liveVersion: '1.0.0', failedRequests: 0 });
    expect(r.summary.reason).toMatch(/AwsAccessDenied: elasticloadbalancing:ModifyListener arn:\S+: AccessDenied/);
    expect(r.world.groups.get('web-green')!.desired).toBe(0);
    // AccessDenied is not retried by the state machine: one attempt (the SDK does not retry it
    // either). The rollback writes the route back once whatever its read shows (the switch had
    // begun a write, and a read may be stale); denied too, it goes on from the read.
    expect(r.calls.filter((c) => c.command === 'ModifyListener').map((c) => c.caller)).toEqual(['switchTraffic', 'rollback']);
  });

  it('consecutive releases alternate colours and each pins its own artifact', async () => {
    const r = await runInline({
      apps: [webApp],
      steps: [
        { at: 5, upload: { app: 'web', version: '1.1.0' } },
        { at: 400, upload: { app: 'web', version: '1.2.0' } },
      ],
    });
    expect(r.executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(r.summary).toMatchObject({ liveColor: 'blue', liveVersion: '1.2.0', failedRequests: 0 });
    expect(r.executions[1].output).toMatchObject({ liveColour: 'blue', previousColour: 'green', previousVersion: '1.1.0' });
    expect(r.world.groups.get('web-green')!.desired).toBe(0);
  });
});

describe('Flow: artifact integrity', () => {
  it('bad-checksum: a manifest that does not match its stored SHA-256 is rejected before any change', async () => {
    const { runShipped } = await import('./helpers.js');
    const r = await runShipped('bad-checksum');
    expect(r.summary).toMatchObject({ outcome: 'rejected', mutatingCalls: 0, liveVersion: '1.4.1' });
    expect(r.summary.reason).toMatch(/does not match its S3 SHA-256 checksum/);
  });

  it('requireChecksum: an artifact uploaded without a checksum is rejected; with one it releases', async () => {
    const app = { ...webApp, artifact: 'bundle', greenlight: { ...webApp.greenlight, requireChecksum: true } };
    const without = await runInline({ apps: [app], steps: [{ at: 5, uploadRaw: { key: 'releases/web/1.1.0.tar.gz', body: 'bundle web 1.1.0', checksum: false } }] });
    expect(without.summary).toMatchObject({ outcome: 'rejected', mutatingCalls: 0 });
    expect(without.summary.reason).toMatch(/web requires a SHA-256 checksum .* upload with --checksum-algorithm SHA256/);
    const withSum = await runInline({ apps: [app], steps: [{ at: 5, upload: { app: 'web', version: '1.1.0' } }] });
    expect(withSum.summary.outcome).toBe('released');
  });
});
