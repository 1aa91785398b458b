import { describeGroups, type Group } from '../aws/autoscaling.js';
import { launchTemplateVersions } from '../aws/ec2.js';
import { readRoute, type RouteRef } from '../aws/elbv2.js';
import { type AppConfig, appConfig, type Colour } from '../core/config.js';
import { AwsResourceNotFound, InvalidInput } from '../core/errors.js';
import type { Capacity } from '../core/fleet.js';
import { parseReleaseDescription, type Release, releaseDescription } from '../core/release.js';
import { colourWeights, liveColour, other } from '../core/route.js';
import type { Deps } from './deps.js';

// Plan: read which colour is live (from the load balancer, the only source of that truth),
// check that the configured resources fit together, and decide what green must become.
// Reads only: a rejection here has made no change.

export interface Side {
  colour: Colour;
  autoScalingGroupName: string;
  targetGroupArn: string;
}
export interface Plan {
  route: RouteRef;
  live: Side & { capacity: Capacity; launchTemplateVersion: string; version: string | null };
  idle: Side;
  alreadyLive: boolean;
}

export function side(app: AppConfig, colour: Colour): Side {
  return { colour, ...app[colour] };
}

export function routeOf(app: AppConfig): RouteRef {
  return app.ruleArn ? { listenerArn: app.listenerArn, ruleArn: app.ruleArn } : { listenerArn: app.listenerArn };
}

export async function plan(deps: Deps, input: { release: Release }): Promise<Plan> {
  const { release } = input;
  const app = appConfig(deps.config, release.app);
  try {
    return await planFor(deps, app, release);
  } catch (err) {
    // A configured resource that does not exist is a configuration error, found before any change.
    if (err instanceof AwsResourceNotFound) throw new InvalidInput(err.message, { cause: err });
    throw err;
  }
}

async function planFor(deps: Deps, app: AppConfig, release: Release): Promise<Plan> {
  const route = routeOf(app);
  const weights = colourWeights(await readRoute(deps.clients.elbv2, route), app);
  const live = liveColour(weights);
  if (live === 'split')
    throw new InvalidInput(`traffic is split between blue (${weights.blue}) and green (${weights.green}); finish or roll back that shift before releasing`);
  if (live === 'none') throw new InvalidInput('the route sends no traffic to either colour: point it at the blue target group first');

  const liveSide = side(app, live);
  const idleSide = side(app, other(live));
  const groups = await describeGroups(deps.clients.autoscaling, [liveSide.autoScalingGroupName, idleSide.autoScalingGroupName]);
  const liveGroup = groups.get(liveSide.autoScalingGroupName)!;
  for (const [s, g] of [
    [liveSide, liveGroup],
    [idleSide, groups.get(idleSide.autoScalingGroupName)!],
  ] as [Side, Group][]) {
    if (!g.targetGroupArns.includes(s.targetGroupArn))
      throw new InvalidInput(`Auto Scaling group ${g.name} (${s.colour}) is not attached to ${s.targetGroupArn}: attach it in your infrastructure code`);
    if (g.launchTemplateId !== app.launchTemplateId)
      throw new InvalidInput(`Auto Scaling group ${g.name} (${s.colour}) uses launch template ${g.launchTemplateId ?? '(none)'}, not ${app.launchTemplateId}`);
  }
  if (liveGroup.capacity.desired === 0) throw new InvalidInput(`the live colour (${live}, ${liveGroup.name}) has desired capacity 0: there is no capacity to copy`);

  const [ltv] = await launchTemplateVersions(deps.clients.ec2, app.launchTemplateId, [liveGroup.launchTemplateVersion ?? '$Default']);
  if (!ltv) throw new InvalidInput(`launch template ${app.launchTemplateId} has no version ${liveGroup.launchTemplateVersion}`);
  const liveRelease = parseReleaseDescription(ltv.description);
  return {
    route,
    live: { ...liveSide, capacity: liveGroup.capacity, launchTemplateVersion: ltv.versionNumber, version: liveRelease?.version ?? null },
    idle: idleSide,
    alreadyLive: ltv.description === releaseDescription(release),
  };
}
