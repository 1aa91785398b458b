import { describe, expect, it } from '@jest/globals';
import { withAccount } from '../../src/cli/account.js';
import * as ops from '../../src/cli/commands/index.js';
import { runToQuiet } from '../../src/local/simulate.js';
import { changesInfrastructure } from '../../src/local/transport.js';

// `greenlight plan` lists the changes in the order the release state machine makes them. It walks
// the steps itself (a dry run cannot run the state machine: a recorded write never lands, so
// its read-back would never pass); this test keeps the two from drifting apart: plan a release
// before its upload, then let the scenario run it, and compare the calls that change
// infrastructure, command by command.

const CASES: [string, string][] = [
  ['asg-release', '1.4.2'],
  ['canary', '1.4.2'],
  ['asg-rule-route', '2.1.0'],
  ['ecs-release', '3.3.0'],
  ['ecs-ec2-release', '8.1.0'],
  ['eip-release', '2.4.0'],
];

describe('plan: the order of the changes is the release\'s own', () => {
  it.each(CASES)('%s %s: planned calls = the calls the release then makes', async (scenario, version) => {
    await withAccount({ sim: scenario, at: 1, stage: 'dev', configPath: 'unused' }, async (account) => {
      const app = Object.keys(account.config.apps)[0];
      const r = await ops.plan(account, app, version);
      expect(r.code).toBe(0);
      const planned = (r.json as { phases: { calls: { command: string }[] }[] }).phases.flatMap((p) => p.calls).map((c) => c.command);
      const session = account.session!;
      const from = session.transport.calls.length;
      await runToQuiet(session);
      const made = session.transport.calls.slice(from).filter((c) => changesInfrastructure(c) && !c.error && c.caller !== 'plan').map((c) => c.command);
      expect(planned.length).toBeGreaterThanOrEqual(5);
      expect(planned).toEqual(made);
      return r;
    });
  }, 60_000);
});
