import { createHash } from 'node:crypto';
import { describeGroups, type Group, lastLaunchInService, replaceInstance, resumeProcesses, suspendProcesses, updateGroup } from '../../aws/autoscaling.js';
import { createLaunchTemplateVersion, launchTemplateVersions } from '../../aws/ec2.js';
import { targetHealth } from '../../aws/elbv2.js';
import { renderUserData } from '../../core/artifact.js';
import type { AsgAppConfig } from '../../core/config.js';
import { InvalidInput } from '../../core/errors.js';
import { assessGreen, warmCapacity } from '../../core/fleet.js';
import { parseReleaseDescription, type Release, releaseDescription, type Settings } from '../../core/release.js';
import type { Deps } from '../deps.js';
import type { Shift } from '../traffic.js';
import type { Assessment, Green, PreparedGreen, RoutedPlan, Side } from '../types.js';
import type { GreenInput, NextCheck, Retired, RetireInput, RollbackInput, RolledBack, SwitchInput } from './driver.js';
import { nextCheckRouted, planRouted, prepareRouted, retireRouted, rollbackRouted, switchRouted } from './routed.js';

// Kind asg: each colour is an Auto Scaling group; a release is a launch-template version.

export async function planAsg(deps: Deps, app: AsgAppConfig, release: Release, live: Side, idle: Side): Promise<Pick<RoutedPlan, 'live' | 'alreadyLive' | 'needsCapacity'>> {
  const groups = await describeGroups(deps.clients.autoscaling, [live.autoScalingGroupName!, idle.autoScalingGroupName!]);
  const liveGroup = groups.get(live.autoScalingGroupName!)!;
  for (const [s, g] of [
    [live, liveGroup],
    [idle, groups.get(idle.autoScalingGroupName!)!],
  ] as [Side, Group][]) {
    if (!g.targetGroupArns.includes(s.targetGroupArn))
      throw new InvalidInput(`Auto Scaling group ${g.name} (${s.colour}) is not attached to ${s.targetGroupArn}: attach it in your infrastructure code`);
    if (g.launchTemplateId !== app.launchTemplateId)
      throw new InvalidInput(`Auto Scaling group ${g.name} (${s.colour}) uses launch template ${g.launchTemplateId ?? '(none)'}, not ${app.launchTemplateId}`);
  }
  if (liveGroup.capacity.desired === 0) throw new InvalidInput(`the live colour (${live.colour}, ${liveGroup.name}) has desired capacity 0: there is no capacity to copy`);
  const [ltv] = await launchTemplateVersions(deps.clients.ec2, app.launchTemplateId, [liveGroup.launchTemplateVersion ?? '$Default']);
  if (!ltv) throw new InvalidInput(`launch template ${app.launchTemplateId} has no version ${liveGroup.launchTemplateVersion}`);
  return {
    live: {
      ...live,
      version: parseReleaseDescription(ltv.description)?.version ?? null,
      pinned: ltv.versionNumber,
      units: liveGroup.capacity.desired,
      capacity: liveGroup.capacity,
    },
    needsCapacity: false,
    alreadyLive: ltv.description === releaseDescription(release),
  };
}

export async function prepareGreenAsg(deps: Deps, app: AsgAppConfig, release: Release, settings: Settings, plan: RoutedPlan): Promise<PreparedGreen> {
  const { autoscaling } = deps.clients;
  const name = plan.idle.autoScalingGroupName!;
  const group = (await describeGroups(autoscaling, [name])).get(name)!;

  const version = await ensureLaunchTemplateVersion(deps, app, release, plan.live.pinned, [group.launchTemplateVersion ?? '$Latest', '$Latest']);
  // A colour quiesced when it was retired gets its processes back before it serves again.
  const resume = (app.retire.quiesce?.suspendProcesses ?? []).filter((p) => group.suspendedProcesses.includes(p));
  if (resume.length) await resumeProcesses(autoscaling, name, resume);

  const want = plan.live.capacity!;
  const c = group.capacity;
  if (group.launchTemplateVersion !== version || c.min !== want.min || c.max !== want.max || c.desired !== want.desired)
    await updateGroup(autoscaling, group.name, { ...want, launchTemplate: { id: app.launchTemplateId, version } });

  // Instances left from a warm colour run an older version: the group replaces them.
  const stale = group.instances.filter((i) => !i.lifecycleState.startsWith('Terminat') && i.launchTemplateVersion !== version);
  for (const i of stale) await replaceInstance(autoscaling, i.instanceId);

  return { pinned: version, desired: want.desired, deadline: deadline(deps, settings), ready: false, replaced: stale.length };
}

/**
 * The launch-template version that pins this release's artifact, derived from `sourceVersion`
 * (only the AMI id or the user data changes). Reuses one made by an earlier attempt.
 */
export async function ensureLaunchTemplateVersion(
  deps: Deps,
  app: { launchTemplateId: string; artifact: AsgAppConfig['artifact'] },
  release: Release,
  sourceVersion: string,
  lookIn: string[],
  imageId?: string,
): Promise<string> {
  const { ec2 } = deps.clients;
  const description = releaseDescription(release);
  const candidates = await launchTemplateVersions(ec2, app.launchTemplateId, [...new Set([...lookIn, '$Latest'])]);
  const found = candidates.find((v) => v.description === description)?.versionNumber;
  if (found) return found;
  const a = release.artifact;
  return createLaunchTemplateVersion(ec2, {
    launchTemplateId: app.launchTemplateId,
    sourceVersion,
    description,
    clientToken: createHash('sha256').update(`${description}\n${sourceVersion}`).digest('hex').slice(0, 64),
    ...(app.artifact.type === 'ami' ? { imageId: a.imageId } : { userData: userDataFor(app.artifact.userDataTemplate, release) }),
    ...(imageId ? { imageId } : {}),
  });
}

export function userDataFor(template: string, release: Release): string {
  const a = release.artifact;
  return renderUserData(template, {
    app: release.app,
    version: release.version,
    bucket: a.bucket,
    key: a.key,
    versionId: a.versionId,
    s3Uri: `s3://${a.bucket}/${a.key}`,
    sha256: a.sha256 ?? '',
  });
}

export async function assessAsg(deps: Deps, plan: RoutedPlan, green: Green): Promise<Assessment> {
  const name = plan.idle.autoScalingGroupName!;
  const group = (await describeGroups(deps.clients.autoscaling, [name])).get(name)!;
  const targets = await targetHealth(deps.clients.elbv2, plan.idle.targetGroupArn);
  const a = assessGreen(group.instances, targets, green.pinned, green.desired);
  const bad = targets.filter((t) => t.state !== 'healthy').map((t) => `${t.id}=${t.state}`);
  return {
    ready: a.ready,
    desired: a.desired,
    inService: a.inService,
    healthy: a.healthy,
    failedTasks: 0,
    detail: `${a.inService}/${a.desired} InService, ${a.healthy}/${a.desired} healthy in its target group${bad.length ? ` (${bad.slice(0, 10).join(', ')})` : ''}`,
  };
}

/** The old colour's group down to `units` instances (never up). */
export async function retireAsg(deps: Deps, plan: RoutedPlan, units: number) {
  const name = plan.live.autoScalingGroupName!;
  const group = (await describeGroups(deps.clients.autoscaling, [name])).get(name)!;
  const target = warmCapacity(group.capacity, units);
  if (target) await updateGroup(deps.clients.autoscaling, group.name, target);
  return { desired: target?.desired ?? group.capacity.desired, changed: target !== null };
}

/** Quiesce (asg): suspend the configured processes of the old colour's group. */
export async function quiesceAsg(deps: Deps, app: AsgAppConfig, plan: RoutedPlan): Promise<string[]> {
  const processes = app.retire.quiesce?.suspendProcesses ?? [];
  if (!processes.length) return [];
  const name = plan.live.autoScalingGroupName!;
  const group = (await describeGroups(deps.clients.autoscaling, [name])).get(name)!;
  const missing = processes.filter((p) => !group.suspendedProcesses.includes(p));
  if (missing.length) await suspendProcesses(deps.clients.autoscaling, name, missing);
  return processes;
}

export async function zeroGroup(deps: Deps, name: string): Promise<void> {
  const g = (await describeGroups(deps.clients.autoscaling, [name])).get(name)!;
  if (g.capacity.desired !== 0 || g.capacity.min !== 0) await updateGroup(deps.clients.autoscaling, g.name, { min: 0, desired: 0 });
}

export function deadline(deps: Deps, settings: Settings): string {
  return new Date(deps.now().getTime() + settings.timeoutSeconds * 1000).toISOString();
}

// ---- the driver (./driver.ts): what the release's steps call for an asg app ----

export function plan(deps: Deps, app: AsgAppConfig, release: Release): Promise<RoutedPlan> {
  return planRouted(deps, app, release, planAsg);
}

export function prepareGreen(deps: Deps, app: AsgAppConfig, input: GreenInput<RoutedPlan>): Promise<PreparedGreen> {
  return prepareRouted(deps, app, input, () => prepareGreenAsg(deps, app, input.release, input.settings, input.plan));
}

export function assess(deps: Deps, _app: AsgAppConfig, input: GreenInput<RoutedPlan> & { green: Green }): Promise<Assessment> {
  return assessAsg(deps, input.plan, input.green);
}

/** Each instance registers with green's target group as it enters service, which its launch activity records. */
export function nextCheck(deps: Deps, _app: AsgAppConfig, input: GreenInput<RoutedPlan> & { green: Green }, a: Assessment): Promise<NextCheck> {
  const { plan, green, settings } = input;
  const since = Date.parse(green.deadline) - settings.timeoutSeconds * 1000 - 300_000;
  return nextCheckRouted(deps, input, a, {
    ecs: false,
    registeredAt: async () => {
      try {
        return { at: await lastLaunchInService(deps.clients.autoscaling, plan.idle.autoScalingGroupName!, since), lowerBound: false };
      } catch (e) {
        return { at: null, lowerBound: false, unread: `the group's launch activities (${(e as Error).name})` };
      }
    },
  });
}

export function switchTraffic(deps: Deps, app: AsgAppConfig, input: SwitchInput<RoutedPlan>): Promise<Shift> {
  return switchRouted(deps, app, input, () => assessAsg(deps, input.plan, input.green));
}

export function retire(deps: Deps, app: AsgAppConfig, input: RetireInput<RoutedPlan>): Promise<Retired> {
  return retireRouted(deps, app, input, { scale: (units) => retireAsg(deps, input.plan, units), quiesce: () => quiesceAsg(deps, app, input.plan) });
}

export function rollback(deps: Deps, app: AsgAppConfig, input: RollbackInput<RoutedPlan>): Promise<RolledBack> {
  return rollbackRouted(deps, app, input, () => zeroGroup(deps, input.plan.idle.autoScalingGroupName!));
}
