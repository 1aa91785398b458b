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
    expect(x.result.summary).toMatchObject({ outcome: 'released', liveVersion: '1.4.1' });
    expect(x.result.executions.find((e) => e.name.startsWith('exec-'))!.statesEntered.map((s) => s.name)).toContain('Retarget');
  });
});
