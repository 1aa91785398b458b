import type { Clients } from '../aws/clients.js';
import type { Config } from '../core/config.js';

/** What a step needs from the outside world. Lambda builds it from the environment; the local runner from the simulator. */
export interface Deps {
  clients: Clients;
  config: Config;
  now: () => Date;
  /** One HTTP GET (health and smoke checks of kind eip); status 0 when nothing answered. */
  http: (url: string) => Promise<{ status: number; body: string }>;
  env: {
    artifactBucket: string;
    releaseStateMachineArn: string;
  };
}
