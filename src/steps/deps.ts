import type { Clients } from '../aws/clients.js';
import type { Config } from '../core/config.js';

/** What a step needs from the outside world. Lambda builds it from the environment; the local runner from the simulator. */
export interface Deps {
  clients: Clients;
  config: Config;
  now: () => Date;
  env: {
    artifactBucket: string;
    releaseStateMachineArn: string;
  };
}
