import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/core/config.js';
import { HISTORY_BUDGET, LOOPS, worstCaseEvents } from '../../src/core/limits.js';
import { loadDefinition } from '../../src/local/definitions.js';

// Step Functions' history limit: every loop of the ASL is bounded by the config, and no config
// that validates can make an execution write more than 20,000 events.

/** The cycles of a state machine's graph (strongly connected components with more than one state). */
function cycles(definition: unknown): string[][] {
  const states = (definition as { States: Record<string, { Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: { Next: string }[] }> }).States;
  const edges = Object.fromEntries(Object.entries(states).map(([n, s]) => [n, [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((x): x is string => !!x)]));
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx: Record<string, number> = {};
  const low: Record<string, number> = {};
  const out: string[][] = [];
  const visit = (v: string) => {
    idx[v] = low[v] = index++;
    stack.push(v);
    on.add(v);
    for (const w of edges[v]) {
      if (idx[w] === undefined) {
        visit(w);
        low[v] = Math.min(low[v], low[w]);
      } else if (on.has(w)) low[v] = Math.min(low[v], idx[w]);
    }
    if (low[v] === idx[v]) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || edges[v].includes(v)) out.push(c.sort());
    }
  };
  for (const v of Object.keys(states)) if (idx[v] === undefined) visit(v);
  return out.sort();
}

const app = (health: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apps: {
    web: {
      kind: 'asg',
      listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/1/2',
      launchTemplateId: 'lt-0123456789abcdef0',
      blue: { autoScalingGroupName: 'web-blue', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/1' },
      green: { autoScalingGroupName: 'web-green', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/2' },
      artifact: { type: 'ami' },
      health,
      ...extra,
    },
  },
});

describe('Step Functions history limit', () => {
  it('every loop in the ASL has a bound in src/core/limits.ts (a new loop without one fails here)', () => {
    for (const machine of ['release', 'capacity'] as const) {
      const found = cycles(loadDefinition(machine));
      const modelled = LOOPS.filter((l) => l.machine === machine).map((l) => [...l.states].sort()).sort();
      expect(found).toEqual(modelled);
    }
  });

  it('a config whose waits could pass the budget is rejected, naming the loop and its bound', () => {
    expect(() => parseConfig(app({ pollSeconds: 1, timeoutSeconds: 7200 }))).toThrow(
      /apps\.web: its release executions could write \d+ Step Functions history events \(the limit is 25000; greenlight keeps under 20000\): 7201 passes through WaitForGreen → CheckGreen → GreenReady\? \(health\.timeoutSeconds \/ health\.pollSeconds\)/,
    );
    expect(worstCaseEvents(parseConfig(app({ pollSeconds: 5, timeoutSeconds: 900 })).apps.web)[0].events).toBeLessThan(HISTORY_BUDGET);
  });

  it('the model is an upper bound of what executions really write (long-approval-waiter: a day behind an approval gate)', async () => {
    const { runShipped } = await import('../flows/helpers.js');
    for (const name of ['long-approval-waiter', 'canary', 'ecs-ec2-release']) {
      const r = await runShipped(name);
      const modelled = Math.max(...Object.values(r.config.apps).flatMap((a) => worstCaseEvents(a).map((w) => w.events)));
      expect(r.summary.maxHistoryEvents).toBeGreaterThan(0);
      expect(r.summary.maxHistoryEvents).toBeLessThanOrEqual(modelled);
      expect(r.summary.maxHistoryEvents).toBeLessThan(HISTORY_BUDGET);
    }
  }, 60_000);
});
