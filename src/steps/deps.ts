import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clients } from '../aws/clients.js';
import type { Config } from '../core/config.js';

/** The part of a logger the steps use (Powertools Logger's). */
export type Log = Pick<Logger, 'info' | 'warn'>;

/** What a step needs from the outside world. Lambda builds it from the environment; the local runner from the simulator. */
export interface Deps {
  clients: Clients;
  config: Config;
  now: () => Date;
  /** One HTTP GET (health and smoke checks of kind eip); status 0 when nothing answered. */
  http: (url: string) => Promise<{ status: number; body: string }>;
  /** Where a step's log lines go: the Powertools logger (structured JSON, with the Lambda context). */
  logger: Log;
  /** Where Powertools Metrics' EMF documents go: stdout in Lambda (CloudWatch extracts them). */
  metrics: (emf: object) => void;
  env: {
    artifactBucket: string;
    releaseStateMachineArn: string;
    /** greenlight's DynamoDB table: the per-app locks and the release history. */
    table: string;
    /** Release events go to this bus ("default" unless configured). */
    eventBusName: string;
    /** SNS topic for release notifications; empty: none. */
    topicArn: string;
  };
}
