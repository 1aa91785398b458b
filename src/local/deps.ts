import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { SIM_BUCKET, SIM_TABLE, SIM_TOPIC } from '../sim/build.js';
import type { VirtualClock } from '../sim/clock.js';
import type { World } from '../sim/world.js';
import type { Deps } from '../steps/deps.js';
import { isPrivateAddress } from '../steps/http.js';
import { logger } from '../steps/lambda.js';
import { ROOT } from './definitions.js';
import type { SimTransport } from './transport.js';

// What a handler gets when it runs on the simulator: the real SDK clients over the simulated
// transport, the simulated clock, and the simulated account's names.

export function simDeps(o: { world: World; clock: VirtualClock; config: Config; transport: SimTransport; caller: string; releaseStateMachineArn: string }): Deps {
  const { world, clock } = o;
  return {
    clients: o.transport.clients(o.caller),
    config: o.config,
    now: () => clock.date(),
    http: async (url: string) => {
      const u = new URL(url);
      // A Lambda function outside a VPC reaches public endpoints only: a private address never
      // answers (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
      if (isPrivateAddress(u.hostname) && !inVpc(o.config, o.caller)) {
        await clock.sleep(3); // the GET's own timeout
        return { status: 0, body: '' };
      }
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      // The ALB's own name, or a name its listener rules route (their DNS points at the ALB).
      if (u.hostname === world.elb.lbDnsName || world.elb.routesHost(u.hostname)) return world.elb.httpViaAlb(port, u.hostname, u.pathname + u.search);
      return world.ec2.http(u.hostname, port, u.pathname + u.search);
    },
    logger,
    metrics: (emf) => world.metrics.push({ t: clock.now, emf }),
    env: { artifactBucket: SIM_BUCKET, releaseStateMachineArn: o.releaseStateMachineArn, table: SIM_TABLE, eventBusName: 'default', topicArn: SIM_TOPIC },
  };
}

const network = () => createRequire(import.meta.url)(join(ROOT, 'deploy', 'network.cjs')) as { VPC_FUNCTIONS: string[] };

/** Whether this function runs in the VPC: `vpc:` is configured and serverless.yml gives it the VPC (deploy/network.cjs). */
function inVpc(config: Config, fn: string): boolean {
  return !!config.vpc && network().VPC_FUNCTIONS.includes(fn);
}
