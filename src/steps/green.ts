import { createHash } from 'node:crypto';
import { describeGroups, replaceInstance, updateGroup } from '../aws/autoscaling.js';
import { createLaunchTemplateVersion, launchTemplateVersions } from '../aws/ec2.js';
import { targetHealth } from '../aws/elbv2.js';
import { renderUserData } from '../core/artifact.js';
import { appConfig } from '../core/config.js';
import { GreenHealthTimeout } from '../core/errors.js';
import { assessGreen, type Capacity } from '../core/fleet.js';
import { type Release, releaseDescription, type Settings } from '../core/release.js';
import type { Deps } from './deps.js';
import type { Plan } from './plan.js';

// Green: pin the artifact in a launch-template version, give green blue's capacity, then
// report readiness. Each call converges: it reads what exists and does only what is missing.

export interface Green {
  launchTemplateVersion: string;
  capacity: Capacity;
  deadline: string;
  replaced: number;
  ready?: boolean;
  inService?: number;
  healthy?: number;
}

interface Input {
  release: Release;
  settings: Settings;
  plan: Plan;
}

export async function prepareGreen(deps: Deps, input: Input): Promise<Green> {
  const { release, settings, plan } = input;
  const app = appConfig(deps.config, release.app);
  const { ec2, autoscaling } = deps.clients;
  const description = releaseDescription(release);
  const group = (await describeGroups(autoscaling, [plan.idle.autoScalingGroupName])).get(plan.idle.autoScalingGroupName)!;

  // Reuse the version pinned by an earlier (crashed or duplicate) attempt of this release.
  const candidates = await launchTemplateVersions(ec2, app.launchTemplateId, [...new Set([group.launchTemplateVersion ?? '$Latest', '$Latest'])]);
  let version = candidates.find((v) => v.description === description)?.versionNumber;
  if (!version) {
    const a = release.artifact;
    version = await createLaunchTemplateVersion(ec2, {
      launchTemplateId: app.launchTemplateId,
      sourceVersion: plan.live.launchTemplateVersion,
      description,
      clientToken: createHash('sha256').update(`${description}\n${plan.live.launchTemplateVersion}`).digest('hex').slice(0, 64),
      ...(a.type === 'ami'
        ? { imageId: a.imageId }
        : {
            userData: renderUserData(app.artifact.type === 'bundle' ? app.artifact.userDataTemplate : '', {
              app: release.app,
              version: release.version,
              bucket: a.bucket,
              key: a.key,
              versionId: a.versionId,
              s3Uri: `s3://${a.bucket}/${a.key}`,
              sha256: a.sha256 ?? '',
            }),
          }),
    });
  }

  const want = plan.live.capacity;
  const c = group.capacity;
  if (group.launchTemplateVersion !== version || c.min !== want.min || c.max !== want.max || c.desired !== want.desired)
    await updateGroup(autoscaling, group.name, { ...want, launchTemplate: { id: app.launchTemplateId, version } });

  // Instances left from a warm colour run an older version: the group replaces them.
  const stale = group.instances.filter((i) => !i.lifecycleState.startsWith('Terminat') && i.launchTemplateVersion !== version);
  for (const i of stale) await replaceInstance(autoscaling, i.instanceId);

  return {
    launchTemplateVersion: version,
    capacity: want,
    deadline: new Date(deps.now().getTime() + settings.timeoutSeconds * 1000).toISOString(),
    replaced: stale.length,
    ready: false,
  };
}

export async function checkGreen(deps: Deps, input: Input & { green: Green }): Promise<Green> {
  const { plan, green, settings } = input;
  const { autoscaling, elbv2 } = deps.clients;
  const group = (await describeGroups(autoscaling, [plan.idle.autoScalingGroupName])).get(plan.idle.autoScalingGroupName)!;
  const targets = await targetHealth(elbv2, plan.idle.targetGroupArn);
  const a = assessGreen(group.instances, targets, green.launchTemplateVersion, green.capacity.desired);
  if (!a.ready && deps.now().getTime() > Date.parse(green.deadline)) {
    const bad = targets.filter((t) => t.state !== 'healthy').map((t) => `${t.id}=${t.state}`);
    throw new GreenHealthTimeout(
      `green (${plan.idle.autoScalingGroupName}) not healthy after ${settings.timeoutSeconds} s: ${a.inService}/${a.desired} InService, ${a.healthy}/${a.desired} healthy in its target group` +
        (bad.length ? ` (${bad.slice(0, 10).join(', ')})` : ''),
    );
  }
  return { ...green, ready: a.ready, inService: a.inService, healthy: a.healthy };
}
