import { describe, expect, it } from '@jest/globals';
import { InvalidInput } from '../../src/core/errors.js';
import type { Deps } from '../../src/steps/deps.js';
import { lambda } from '../../src/steps/lambda.js';

// The handler pipeline (middy + Powertools logger): a step's failure is logged once, through the
// logger in Deps, by the onError middleware, and reaches Step Functions unchanged.

const context = { functionName: 'plan', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 30_000 };

describe('Function: lambda(), the handler around every step', () => {
  it('a failing step: one warning with its name and the error name; the same error goes on', async () => {
    const lines: [string, unknown][] = [];
    const deps = { logger: { info: () => {}, warn: (m: string, extra: unknown) => lines.push([m, extra]) } } as unknown as Deps;
    const failing = lambda('plan', async () => {
      throw new InvalidInput('apps.web.blue: no such group');
    }).withDeps(deps);
    const err = await (failing as unknown as (e: unknown, c: unknown) => Promise<unknown>)({}, context).catch((e: Error) => e);
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as Error).name).toBe('InvalidInput');
    expect(lines).toEqual([['plan failed', { errorName: 'InvalidInput', errorMessage: 'apps.web.blue: no such group' }]]);
  });

  it('a step that succeeds: its answer, nothing logged as a failure', async () => {
    const lines: string[] = [];
    const deps = { logger: { info: () => {}, warn: (m: string) => lines.push(m) } } as unknown as Deps;
    const ok = lambda('plan', async (_d: Deps, input: { n: number }) => ({ doubled: input.n * 2 })).withDeps(deps);
    expect(await (ok as unknown as (e: unknown, c: unknown) => Promise<unknown>)({ n: 21 }, context)).toEqual({ doubled: 42 });
    expect(lines).toEqual([]);
  });
});
