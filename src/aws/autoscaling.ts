import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  RecordLifecycleActionHeartbeatCommand,
  ResumeProcessesCommand,
  SetInstanceHealthCommand,
  SuspendProcessesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { AwsResourceNotFound } from '../core/errors.js';
import type { Capacity, GroupInstance } from '../core/fleet.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';
import { tagMap } from './tags.js';

registerClient('autoscaling', (config) => new AutoScalingClient(config));

export interface Group {
  name: string;
  capacity: Capacity;
  launchTemplateId: string | undefined;
  launchTemplateVersion: string | undefined;
  targetGroupArns: string[];
  instances: GroupInstance[];
  suspendedProcesses: string[];
  /** The group's tags (DescribeAutoScalingGroups answers them with the group). */
  tags: Record<string, string>;
}

/** Both colours in one call (flat in fleet size: instances come back with their groups). */
export async function describeGroups(asg: AutoScalingClient, names: string[]): Promise<Map<string, Group>> {
  const out = await call(`autoscaling:DescribeAutoScalingGroups ${names.join(',')}`, () =>
    asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names, MaxRecords: 100 })),
  );
  const groups = new Map<string, Group>();
  for (const g of out.AutoScalingGroups ?? []) {
    const lt = g.LaunchTemplate ?? g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    groups.set(g.AutoScalingGroupName!, {
      name: g.AutoScalingGroupName!,
      capacity: { min: g.MinSize ?? 0, max: g.MaxSize ?? 0, desired: g.DesiredCapacity ?? 0 },
      launchTemplateId: lt?.LaunchTemplateId,
      launchTemplateVersion: lt?.Version,
      targetGroupArns: g.TargetGroupARNs ?? [],
      suspendedProcesses: (g.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? ''),
      tags: tagMap(g.Tags),
      instances: (g.Instances ?? []).map((i) => ({
        instanceId: i.InstanceId!,
        lifecycleState: String(i.LifecycleState),
        healthStatus: i.HealthStatus ?? 'Unknown',
        launchTemplateVersion: i.LaunchTemplate?.Version,
      })),
    });
  }
  for (const n of names) if (!groups.has(n)) throw new AwsResourceNotFound(`Auto Scaling group "${n}" not found: check autoScalingGroupName in the config`);
  return groups;
}

export async function updateGroup(
  asg: AutoScalingClient,
  name: string,
  change: Partial<Capacity> & { launchTemplate?: { id: string; version: string } },
): Promise<void> {
  await call(`autoscaling:UpdateAutoScalingGroup ${name}`, () =>
    asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: change.min,
        MaxSize: change.max,
        DesiredCapacity: change.desired,
        ...(change.launchTemplate ? { LaunchTemplate: { LaunchTemplateId: change.launchTemplate.id, Version: change.launchTemplate.version } } : {}),
      }),
    ),
  );
}

/**
 * When the group's newest launches entered service (and so were registered with its target
 * groups): the latest EndTime among its recent successful launch activities, in epoch ms; null
 * when a launch is still in progress or none is listed. Activities come newest first.
 */
export async function lastLaunchInService(asg: AutoScalingClient, name: string, since: number): Promise<number | null> {
  const out = await call(`autoscaling:DescribeScalingActivities ${name}`, () => asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name, MaxRecords: 20 })));
  const launches = (out.Activities ?? []).filter((a) => a.Description?.startsWith('Launching a new EC2 instance') && (a.StartTime?.getTime() ?? 0) >= since);
  if (!launches.length || launches.some((a) => !a.EndTime && a.StatusCode !== 'Failed' && a.StatusCode !== 'Cancelled')) return null;
  const ends = launches.filter((a) => a.StatusCode === 'Successful' && a.EndTime).map((a) => a.EndTime!.getTime());
  return ends.length ? Math.max(...ends) : null;
}

/** The group launches a replacement from its current launch template version. */
export async function replaceInstance(asg: AutoScalingClient, instanceId: string): Promise<void> {
  await call(`autoscaling:TerminateInstanceInAutoScalingGroup ${instanceId}`, () =>
    asg.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false })),
  );
}

export interface LifecycleRef {
  group: string;
  hook: string;
  token: string;
  instanceId: string;
}

/** "already": the action was completed before (a re-run, a duplicate event, or a timeout). */
export async function completeLifecycleAction(asg: AutoScalingClient, ref: LifecycleRef, result: 'CONTINUE' | 'ABANDON'): Promise<'completed' | 'already'> {
  try {
    await call(`autoscaling:CompleteLifecycleAction ${ref.group} ${ref.instanceId}`, () =>
      asg.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: ref.group,
          LifecycleHookName: ref.hook,
          LifecycleActionToken: ref.token,
          InstanceId: ref.instanceId,
          LifecycleActionResult: result,
        }),
      ),
    );
    return 'completed';
  } catch (err) {
    if (/No active Lifecycle Action found/i.test((err as Error).message)) return 'already';
    throw err;
  }
}

export async function recordHeartbeat(asg: AutoScalingClient, ref: LifecycleRef): Promise<void> {
  await call(`autoscaling:RecordLifecycleActionHeartbeat ${ref.group} ${ref.instanceId}`, () =>
    asg.send(
      new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: ref.group, LifecycleHookName: ref.hook, LifecycleActionToken: ref.token, InstanceId: ref.instanceId }),
    ),
  );
}

/** Auto Scaling replaces an Unhealthy instance (replace, don't reboot). */
export async function markUnhealthy(asg: AutoScalingClient, instanceId: string): Promise<void> {
  await call(`autoscaling:SetInstanceHealth ${instanceId}`, () =>
    asg.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Unhealthy', ShouldRespectGracePeriod: false })),
  );
}

export async function lifecycleHookNames(asg: AutoScalingClient, group: string): Promise<string[]> {
  const out = await call(`autoscaling:DescribeLifecycleHooks ${group}`, () => asg.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group })));
  return (out.LifecycleHooks ?? []).map((h) => h.LifecycleHookName ?? '');
}

export async function suspendProcesses(asg: AutoScalingClient, group: string, processes: string[]): Promise<void> {
  await call(`autoscaling:SuspendProcesses ${group}`, () => asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: processes })));
}

export async function resumeProcesses(asg: AutoScalingClient, group: string, processes: string[]): Promise<void> {
  await call(`autoscaling:ResumeProcesses ${group}`, () => asg.send(new ResumeProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: processes })));
}
