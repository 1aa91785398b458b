import * as SDK from '@aws-sdk/client-auto-scaling';
import { SimAwsError } from '../errors.js';
import type { World } from '../world.js';
import { defineService } from './service.js';

// EC2 Auto Scaling, as the simulator answers it: the commands greenlight and its CLI call.

export const autoscaling = defineService({
  name: 'autoscaling',
  iamPrefix: 'autoscaling',
  sdk: SDK,
  baseException: 'AutoScalingServiceException',
  faults: { throttle: ['Throttling', 400], 'server-error': ['InternalFailure', 500], 'access-denied': ['AccessDenied', 403] },
  commands: (w: World, _sfn) => ({
    SuspendProcessesCommand: (i: { AutoScalingGroupName: string; ScalingProcesses?: string[] }) => {
      const g = w.groups.get(i.AutoScalingGroupName);
      if (!g) throw new SimAwsError('ValidationError', `AutoScalingGroup name not found - ${i.AutoScalingGroupName}`);
      g.suspended ??= new Set();
      for (const p of i.ScalingProcesses ?? ['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions']) g.suspended.add(p);
      w.note(`${g.name} processes suspended: ${[...g.suspended].join(', ')}`);
      return {};
    },
    ResumeProcessesCommand: (i: { AutoScalingGroupName: string; ScalingProcesses?: string[] }) => {
      const g = w.groups.get(i.AutoScalingGroupName);
      if (!g) throw new SimAwsError('ValidationError', `AutoScalingGroup name not found - ${i.AutoScalingGroupName}`);
      for (const p of i.ScalingProcesses ?? [...(g.suspended ?? [])]) g.suspended?.delete(p);
      w.note(`${g.name} processes resumed`);
      return {};
    },
    DescribeLifecycleHooksCommand: (i: { AutoScalingGroupName: string }) => {
      const g = w.groups.get(i.AutoScalingGroupName);
      if (!g) throw new SimAwsError('ValidationError', `Group ${i.AutoScalingGroupName} not found`);
      return {
        LifecycleHooks: (g.hooks ?? []).map((h) => ({
          LifecycleHookName: h.name,
          AutoScalingGroupName: g.name,
          LifecycleTransition: h.transition === 'launch' ? 'autoscaling:EC2_INSTANCE_LAUNCHING' : 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: h.heartbeatTimeout,
          DefaultResult: h.defaultResult,
        })),
      };
    },
    DescribeAutoScalingGroupsCommand: (i: { AutoScalingGroupNames?: string[] }) => ({
      AutoScalingGroups: (i.AutoScalingGroupNames ?? [...w.groups.keys()])
        .filter((n) => w.groups.has(n))
        .map((n) => {
          const g = w.groups.get(n)!;
          return {
            AutoScalingGroupName: g.name,
            AutoScalingGroupARN: g.arn,
            MinSize: g.min,
            MaxSize: g.max,
            DesiredCapacity: g.desired,
            LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: g.launchTemplateVersion },
            TargetGroupARNs: [...g.targetGroupArns],
            HealthCheckType: 'ELB',
            Tags: Object.entries(w.resourceTags.get(g.arn) ?? {}).map(([Key, Value]) => ({ ResourceId: g.name, ResourceType: 'auto-scaling-group', Key, Value, PropagateAtLaunch: true })),
            SuspendedProcesses: [...(g.suspended ?? [])].map((ProcessName) => ({ ProcessName, SuspensionReason: 'User suspended' })),
            Instances: g.instances
              .map((id) => w.instances.get(id)!)
              .filter((x) => x.lifecycle !== 'Terminated')
              .map((x) => ({
                InstanceId: x.id,
                AvailabilityZone: x.az,
                LifecycleState: x.lifecycle === 'Terminating' ? 'Terminating' : x.lifecycle,
                HealthStatus: 'Healthy',
                LaunchTemplate: { LaunchTemplateId: x.launchTemplateId, Version: String(x.launchTemplateVersion) },
                ProtectedFromScaleIn: false,
              })),
          };
        }),
    }),
    // Launch activities only, newest first: one per instance the group launched, InProgress
    // until the instance is InService (when it is registered with the group's target groups).
    DescribeScalingActivitiesCommand: (i: { AutoScalingGroupName?: string; MaxRecords?: number }) => {
      const g = i.AutoScalingGroupName ? w.groups.get(i.AutoScalingGroupName) : undefined;
      if (i.AutoScalingGroupName && !g) return { Activities: [] };
      const at = (t: number) => new Date(w.clock.date().getTime() - (w.clock.now - t) * 1000);
      const launched = (g ? g.instances : [...w.groups.values()].flatMap((x) => x.instances)).map((id) => w.instances.get(id)!).filter((x) => x.launchedAt >= 0);
      return {
        Activities: launched
          .sort((a, b) => b.launchedAt - a.launchedAt)
          .slice(0, Math.min(i.MaxRecords ?? 100, 100))
          .map((x) => ({
            ActivityId: `launch-${x.id}`,
            AutoScalingGroupName: x.group ?? undefined,
            Description: `Launching a new EC2 instance: ${x.id}`,
            Cause: 'an instance was started in response to a difference between desired and actual capacity',
            StartTime: at(x.launchedAt),
            ...(x.inServiceAt !== undefined ? { EndTime: at(x.inServiceAt), StatusCode: 'Successful', Progress: 100 } : { StatusCode: 'InProgress', Progress: 30 }),
          })),
      };
    },
    UpdateAutoScalingGroupCommand: (i: {
      AutoScalingGroupName: string;
      MinSize?: number;
      MaxSize?: number;
      DesiredCapacity?: number;
      LaunchTemplate?: { LaunchTemplateId?: string; Version?: string };
    }) => {
      w.updateGroup(i.AutoScalingGroupName, {
        min: i.MinSize,
        max: i.MaxSize,
        desired: i.DesiredCapacity,
        launchTemplate: i.LaunchTemplate ? { id: i.LaunchTemplate.LaunchTemplateId ?? '', version: i.LaunchTemplate.Version ?? '$Default' } : undefined,
      });
      return {};
    },
    CompleteLifecycleActionCommand: (i: { AutoScalingGroupName: string; LifecycleHookName: string; LifecycleActionToken?: string; InstanceId?: string; LifecycleActionResult: string }) => {
      w.completeLifecycleAction(i.AutoScalingGroupName, i.LifecycleHookName, i.LifecycleActionResult as 'CONTINUE' | 'ABANDON', i.LifecycleActionToken, i.InstanceId);
      return {};
    },
    RecordLifecycleActionHeartbeatCommand: (i: { AutoScalingGroupName: string; LifecycleHookName: string; LifecycleActionToken?: string; InstanceId?: string }) => {
      w.recordHeartbeat(i.AutoScalingGroupName, i.LifecycleHookName, i.LifecycleActionToken, i.InstanceId);
      return {};
    },
    SetInstanceHealthCommand: (i: { InstanceId: string; HealthStatus: string; ShouldRespectGracePeriod?: boolean }) => {
      w.setInstanceHealth(i.InstanceId, i.HealthStatus);
      return {};
    },
    TerminateInstanceInAutoScalingGroupCommand: (i: { InstanceId: string; ShouldDecrementDesiredCapacity: boolean }) => {
      const x = w.terminateInGroup(i.InstanceId, i.ShouldDecrementDesiredCapacity);
      return { Activity: { ActivityId: `act-${x.id}`, AutoScalingGroupName: x.group, StatusCode: 'InProgress', Description: `Terminating EC2 instance: ${x.id}` } };
    },
  }),
});
