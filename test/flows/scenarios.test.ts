import { describe, expect, it } from '@jest/globals';
import { scenarioNames } from '../../src/cli/scenarios.js';
import { runShipped } from './helpers.js';

// Every shipped scenario holds every invariant, its own expected result included, except the
// defects still open (each named with the issue that tracks it). A scenario that starts to fail
// fails here; one on this list that starts to hold fails too, so the list stays true.
const OPEN_DEFECTS: Record<string, RegExp> = {};

describe('Shipped scenarios', () => {
  it.each(scenarioNames())('%s holds every invariant', async (name) => {
    const r = await runShipped(name);
    const open = OPEN_DEFECTS[name];
    if (open) {
      expect(r.summary.invariantViolations.length).toBeGreaterThan(0);
      for (const v of r.summary.invariantViolations) expect(v).toMatch(open);
    } else expect(r.summary.invariantViolations).toEqual([]);
    // Every call a function made was allowed by the stack's own IAM policy.
    expect({ name, accessDenied: r.summary.accessDenied }).toEqual({ name, accessDenied: 0 });
  }, 60_000);
});
