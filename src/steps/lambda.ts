import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createClients } from '../aws/clients.js';
import { parseConfig } from '../core/config.js';
import type { Deps } from './deps.js';
import { httpGet } from './http.js';

export const logger = new Logger({ serviceName: 'greenlight' });

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set: it is set by serverless.yml; redeploy the stack`);
  return v;
}

// greenlight.config.yml as base64 JSON, embedded by esbuild at package time (serverless.yml).
declare const __GREENLIGHT_CONFIG__: string | undefined;

function embeddedConfig(): unknown {
  if (typeof __GREENLIGHT_CONFIG__ !== 'string')
    throw new Error('no greenlight config was embedded in this bundle: package it with `serverless package` / `serverless deploy`');
  return JSON.parse(Buffer.from(__GREENLIGHT_CONFIG__, 'base64').toString('utf8'));
}

let cached: Deps | undefined;
/** Built once per Lambda container, on first use (so importing a handler has no side effects). */
function lambdaDeps(): Deps {
  if (!cached) {
    cached = {
      clients: createClients(),
      config: parseConfig(embeddedConfig()),
      now: () => new Date(),
      http: httpGet,
      logger,
      metrics: (emf) => process.stdout.write(`${JSON.stringify(emf)}\n`),
      env: {
        artifactBucket: requireEnv('ARTIFACT_BUCKET'),
        releaseStateMachineArn: process.env.RELEASE_STATE_MACHINE_ARN ?? '',
        table: requireEnv('GREENLIGHT_TABLE'),
        eventBusName: process.env.GREENLIGHT_EVENT_BUS || 'default',
        topicArn: process.env.GREENLIGHT_TOPIC_ARN ?? '',
      },
    };
  }
  return cached;
}

/**
 * A step's failure, logged once with its name (the error's name is what the state's Retry and
 * Catch match); the error then goes on to Step Functions unchanged (no response is set).
 */
export function logFailure(name: string, log: () => Deps['logger']): middy.MiddlewareObj {
  return {
    onError: (request) => {
      const e = request.error as Error;
      log().warn(`${name} failed`, { errorName: e.name, errorMessage: e.message });
    },
  };
}

export type Step<I, O> = (deps: Deps, input: I) => Promise<O>;

/**
 * One Lambda handler per step: middy + Powertools logger around the step. `handler` is what
 * Lambda runs; `withDeps` is the same pipeline with other dependencies (the local runner).
 */
export function lambda<I, O>(name: string, step: Step<I, O>) {
  const build = (deps: () => Deps) =>
    middy(async (event: I): Promise<O> => step(deps(), event))
      .use(injectLambdaContext(logger, { clearState: true }))
      .use(logFailure(name, () => deps().logger));
  return {
    handler: build(lambdaDeps),
    withDeps: (deps: Deps) => build(() => deps),
  };
}
