import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { parse as parseYaml } from 'yaml';
import { createClients } from '../aws/clients.js';
import { parseConfig } from '../core/config.js';
import type { Deps } from './deps.js';

export const logger = new Logger({ serviceName: 'greenlight' });

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: it is set by serverless.yml; redeploy the stack`);
  return v;
}

let cached: Deps | undefined;
/** Built once per Lambda container, on first use (so importing a handler has no side effects). */
function lambdaDeps(): Deps {
  if (!cached) {
    const file = process.env.GREENLIGHT_CONFIG_FILE ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'greenlight.config.yml');
    cached = {
      clients: createClients(),
      config: parseConfig(parseYaml(readFileSync(file, 'utf8'))),
      now: () => new Date(),
      env: { artifactBucket: requireEnv('ARTIFACT_BUCKET'), releaseStateMachineArn: process.env.RELEASE_STATE_MACHINE_ARN ?? '' },
    };
  }
  return cached;
}

export type Step<I, O> = (deps: Deps, input: I) => Promise<O>;

/**
 * One Lambda handler per step: middy + Powertools logger around the step. `handler` is what
 * Lambda runs; `withDeps` is the same pipeline with other dependencies (the local runner).
 */
export function lambda<I, O>(name: string, step: Step<I, O>) {
  const build = (deps: () => Deps) =>
    middy(async (event: I): Promise<O> => {
      try {
        return await step(deps(), event);
      } catch (err) {
        const e = err as Error;
        logger.warn(`${name} failed`, { errorName: e.name, errorMessage: e.message });
        throw err;
      }
    }).use(injectLambdaContext(logger, { clearState: true }));
  return {
    handler: build(lambdaDeps),
    withDeps: (deps: Deps) => build(() => deps),
  };
}
