import { appConfig } from '../core/config.js';
import { AwsResourceNotFound, InvalidInput } from '../core/errors.js';
import type { Release } from '../core/release.js';
import type { Deps } from './deps.js';
import * as asg from './kinds/asg.js';
import { type ByKind, forKind } from './kinds/driver.js';
import * as ecs from './kinds/ecs.js';
import * as eip from './kinds/eip.js';
import type { Plan } from './types.js';
import { refuseUnless } from '../core/kinds.js';

// Plan: read which colour is live (from the load balancer, or for eip the address: the only
// sources of that truth), check that the configured resources fit together, and decide what
// green must become. Reads only: a rejection here has made no change.

const PLAN: ByKind<'plan'> = { asg: asg.plan, ecs: ecs.plan, eip: eip.plan };

export async function plan(deps: Deps, input: { release: Release }): Promise<Plan> {
  const { release } = input;
  const app = appConfig(deps.config, release.app);
  if (release.action === 'replace') refuseUnless(app, release.app, 'replace');
  try {
    return await forKind(PLAN, app)(deps, app, release);
  } catch (err) {
    // A configured resource that does not exist is a configuration error, found before any change.
    if (err instanceof AwsResourceNotFound) throw new InvalidInput(err.message, { cause: err });
    throw err;
  }
}
