import { describe, expect, it } from '@jest/globals';
import { mutatingCalls, runShipped } from './helpers.js';

// The ways a release put a bad version live or reported success wrongly (issue "Fix the ways a
// release can put a bad version live or drop capacity"): each scenario failed before its fix.

describe('Defects fixed', () => {
  it('shadowed-rule: a rule that takes all of the app rule\'s requests rejects the release before any change, naming it', async () => {
    const r = await runShipped('shadowed-rule');
    expect(r.summary).toMatchObject({ outcome: 'rejected', invariantViolations: [] });
    expect(r.summary.reason).toMatch(/no request reaches .*: rule .* \(priority 10, hosts \*\.example\.com\) comes first/);
    expect(mutatingCalls(r)).toEqual([]);
  });

  it('rollback typed mid-release: it undoes that release once it holds the lock (the old colour back, the new one retired)', async () => {
    const r = await runShipped('asg-release');
    const t = r.executions[0].statesEntered.find((s) => s.name === 'CheckGreen')!.t;
    const { faultRun } = await import('../../src/cli/faults.js');
    const { loadScenarioFile } = await import('../../src/local/simulate.js');
    const { scenarioPath } = await import('../../src/cli/scenarios.js');
    const base = loadScenarioFile(scenarioPath('asg-release'));
    const x = await faultRun({ ...base, expect: undefined }, [], [{ at: t + 1, startRelease: { input: { app: 'web', action: 'rollback' } } }]);
    expect(x.reasons).toEqual([]);
    expect(x.result.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1' });
    expect(x.result.executions.find((e) => e.name.startsWith('exec-'))!.statesEntered.map((s) => s.name)).toContain('Retarget');
  });

  it('a rollback never waits at the approval gate (nor runs smoke tests): typed while a gated release waits, it undoes it at once', async () => {
    const { faultRun } = await import('../../src/cli/faults.js');
    const { loadScenarioFile } = await import('../../src/local/simulate.js');
    const { scenarioPath } = await import('../../src/cli/scenarios.js');
    const base = loadScenarioFile(scenarioPath('approval'));
    // Typed at t=81, while the release waits behind green's check; promoted at t=400.
    const x = await faultRun({ ...base, expect: undefined }, [], [{ at: 81, startRelease: { input: { app: 'web', action: 'rollback' } } }]);
    expect(x.reasons).toEqual([]);
    expect(x.result.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1' });
    const rollback = x.result.executions.find((e) => e.name.startsWith('exec-'))!;
    const states = rollback.statesEntered.map((st) => st.name);
    expect(states).not.toContain('AwaitApproval');
    expect(states).not.toContain('SmokeTest');
    expect(rollback.stoppedAt! - rollback.startedAt).toBeLessThan(900); // not the 30-minute gate
  });

  it('semver-build-metadata: a version with "+build" metadata is released under exactly that version', async () => {
    const r = await runShipped('semver-build-metadata');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '2026.11.26-rc.3+build.77', invariantViolations: [] });
  });

  it('reupload-live: the same content uploaded again is a no-op (already-live); "force": true releases it anyway', async () => {
    const r = await runShipped('reupload-live');
    expect(r.summary).toMatchObject({ outcome: 'already-live', liveVersion: '1.4.2', invariantViolations: [] });
    const second = r.executions[r.executions.length - 1];
    expect(second.statesEntered.map((s) => s.name)).not.toContain('PrepareGreen');
    const { loadScenarioFile } = await import('../../src/local/simulate.js');
    const { scenarioPath } = await import('../../src/cli/scenarios.js');
    const { simulate } = await import('../../src/local/simulate.js');
    const base = loadScenarioFile(scenarioPath('reupload-live'));
    const forced = await simulate({
      ...base,
      expect: undefined,
      steps: [...base.steps.slice(0, 1), { at: 400, startRelease: { input: { app: 'web', version: '1.4.2', force: true } } }],
    });
    const last = forced.executions[forced.executions.length - 1];
    expect(last.statesEntered.map((s) => s.name)).toContain('PrepareGreen');
    expect(forced.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.2', invariantViolations: [] });
  });

  it('guard-during-switch: an alarm while the switch\'s write is in flight ends with the old version serving; no write lands after a stop', async () => {
    const r = await runShipped('guard-during-switch');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1', liveColor: 'blue', failedRequests: 0, invariantViolations: [] });
    // The guard asked (the write was in flight) instead of stopping; the release rolled itself back.
    expect(r.timeline.some((x) => /abort-requested/.test(x.text))).toBe(true);
    expect(r.executions[0].statesEntered.map((s) => s.name)).toContain('Rollback');
    expect(r.world.group('web-blue').desired).toBe(4);
  });

  it('a retire that names its colour refuses when that colour takes the traffic (after looking again: a read may be stale)', async () => {
    const { simulate, loadScenario } = await import('../../src/local/simulate.js');
    const r = await simulate(
      loadScenario({
        name: 'retire-named',
        description: 'a retire of the live colour',
        apps: [{ name: 'web', instances: 2, healthCheck: { intervalSeconds: 10, healthyThresholdCount: 3, unhealthyThresholdCount: 2 }, deregistrationDelaySeconds: 10 }],
        steps: [{ at: 5, startRelease: { input: { app: 'web', action: 'retire', colour: 'blue' } } }],
      }),
    );
    expect(r.summary.outcome).toBe('failed');
    expect(r.summary.reason).toMatch(/ReleaseFailed: blue takes all of web's traffic now: not retiring it/);
    // Plan looked three more times (Retry on LiveColourChanged), then gave up, changing nothing.
    expect(r.calls.filter((c) => c.caller === 'plan' && c.command === 'DescribeListeners').length).toBe(4);
    expect(mutatingCalls(r)).toEqual([]);
  });

  it('alarm-in-keepwarm: a guard alarm after the shift ends rolled back (Release Rolled Back), with the window measured; retire.steps at full size flips in seconds', async () => {
    const warm = await runShipped('alarm-in-keepwarm');
    expect(warm.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1', failedRequests: 0, invariantViolations: [] });
    expect(warm.summary.events?.['Release Rolled Back']).toBe(1);
    const full = await runShipped('alarm-in-keepwarm-full');
    expect(full.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1', failedRequests: 0, invariantViolations: [] });
    // One warm instance must boot three more before the flip; a full-size colour flips at once.
    expect(warm.summary.rollbackLatencySeconds!).toBeGreaterThan(100);
    expect(full.summary.rollbackLatencySeconds!).toBeLessThan(15);
  });

  it('double-alarm: a second alarm never re-deploys the version just rolled back', async () => {
    const r = await runShipped('double-alarm');
    expect(r.summary).toMatchObject({ outcome: 'rolled-back', liveVersion: '1.4.1', failedRequests: 0, invariantViolations: [] });
    const rollbacks = r.executions.filter((e) => e.input.includes('"action":"rollback"'));
    expect(rollbacks).toHaveLength(1);
  });

  it('out-of-order-uploads: an older upload whose event arrives late never supersedes the newer one', async () => {
    const r = await runShipped('out-of-order-uploads');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.3', invariantViolations: [] });
  });

  it('finish-throttled: 40 throttles on the lock table in Finish: the lock is let go and the history converges', async () => {
    const r = await runShipped('finish-throttled');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.3', invariantViolations: [] });
    expect(r.faults[0].fired).toBe(40);
    // The second upload (t=600) did not wait out a lease: it went live within minutes.
    const second = r.executions[r.executions.length - 1];
    expect(second.stoppedAt! - second.startedAt).toBeLessThan(600);
  });

  it('long-approval-waiter: a day waiting behind an approval gate stays far below the 25,000-event history limit', async () => {
    const r = await runShipped('long-approval-waiter');
    expect(r.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.3', invariantViolations: [] });
    expect(r.summary.maxHistoryEvents).toBeLessThan(20_000);
  }, 60_000);
});
