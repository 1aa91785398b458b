import { describeGroups } from '../aws/autoscaling.js';
import { launchTemplateVersions } from '../aws/ec2.js';
import { describeServices, describeTaskDefinition } from '../aws/ecs.js';
import type { Colour, RoutedAppConfig } from '../core/config.js';
import { parseReleaseDescription } from '../core/release.js';
import type { Deps } from './deps.js';
import { RELEASE_TAG } from './kinds/ecs.js';
import { side } from './sides.js';

// Which release a colour runs: the description of its group's launch template version (asg),
// or the release tag of its service's task definition (ecs).

/** The release description a colour is pinned to (undefined when greenlight did not release it). */
export async function pinnedRelease(deps: Deps, app: RoutedAppConfig, colour: Colour): Promise<string | undefined> {
  const s = side(app, colour);
  if (app.kind === 'asg') {
    const group = (await describeGroups(deps.clients.autoscaling, [s.autoScalingGroupName!])).get(s.autoScalingGroupName!);
    const [ltv] = group ? await launchTemplateVersions(deps.clients.ec2, app.launchTemplateId, [group.launchTemplateVersion ?? '$Default']) : [];
    return ltv?.description;
  }
  const svc = (await describeServices(deps.clients.ecs, s.cluster!, [s.serviceName!])).get(s.serviceName!);
  return svc ? (await describeTaskDefinition(deps.clients.ecs, svc.taskDefinition)).tags[RELEASE_TAG] : undefined;
}

/** The version a colour is pinned to, when greenlight released it. */
export async function pinnedVersion(deps: Deps, app: RoutedAppConfig, colour: Colour): Promise<string | null> {
  return parseReleaseDescription(await pinnedRelease(deps, app, colour))?.version ?? null;
}
