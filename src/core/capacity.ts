import type { Colour, Config, EcsAppConfig } from './config.js';
import { InvalidInput } from './errors.js';

// Pure decisions for the capacity state machine: which app colour an Auto Scaling event is
// about, and how many tasks its service should run. The count is always recomputed from the
// current state (never incremented), so bursts, reordering and lost events all converge.

export type Scaling = NonNullable<EcsAppConfig['scaling']>;

export interface ColourRef {
  app: string;
  colour: Colour;
}

/** The scaled ECS app colour whose capacity is this Auto Scaling group. */
export function colourOfGroup(config: Config, group: string): ColourRef | null {
  for (const [app, a] of Object.entries(config.apps)) {
    if (a.kind !== 'ecs' || !a.scaling) continue;
    for (const colour of ['blue', 'green'] as const) if (a[colour].autoScalingGroupName === group) return { app, colour };
  }
  return null;
}

export function scaledApp(config: Config, app: string): EcsAppConfig & { scaling: Scaling } {
  const a = Object.hasOwn(config.apps, app) ? config.apps[app] : undefined;
  if (!a) throw new InvalidInput(`unknown app "${app}"`);
  if (a.kind !== 'ecs' || !a.scaling) throw new InvalidInput(`app "${app}" has no scaling: block (ECS tasks following the Auto Scaling group)`);
  return a as EcsAppConfig & { scaling: Scaling };
}

/** tasksPerInstance × joined instances, clamped to [minTasks, maxTasks]. */
export function desiredTasks(joinedInstances: number, s: Pick<Scaling, 'tasksPerInstance' | 'minTasks' | 'maxTasks'>): number {
  return Math.max(s.minTasks, Math.min(s.maxTasks, joinedInstances * s.tasksPerInstance));
}

/** Instances that count as capacity: in the group, not leaving it. */
export function countsAsCapacity(lifecycleState: string): boolean {
  return lifecycleState === 'InService' || lifecycleState.startsWith('Pending');
}

export interface LifecycleAction {
  transition: 'launch' | 'terminate';
  group: string;
  instanceId: string;
  hook: string;
  token: string;
}

const TRANSITIONS: Record<string, LifecycleAction['transition']> = {
  'autoscaling:EC2_INSTANCE_LAUNCHING': 'launch',
  'autoscaling:EC2_INSTANCE_TERMINATING': 'terminate',
};

/** An EventBridge "EC2 Instance-launch/terminate Lifecycle Action" event. */
export function parseLifecycleEvent(event: unknown): LifecycleAction {
  const d = (event as { detail?: Record<string, unknown> })?.detail ?? {};
  const s = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : '');
  const transition = TRANSITIONS[s('LifecycleTransition')];
  const missing = ['AutoScalingGroupName', 'EC2InstanceId', 'LifecycleHookName', 'LifecycleActionToken'].filter((k) => !s(k));
  if (!transition || missing.length)
    throw new InvalidInput(`not an Auto Scaling lifecycle action event${missing.length ? ` (missing ${missing.join(', ')})` : ''}: expected detail.LifecycleTransition EC2_INSTANCE_LAUNCHING or EC2_INSTANCE_TERMINATING`);
  return { transition, group: s('AutoScalingGroupName'), instanceId: s('EC2InstanceId'), hook: s('LifecycleHookName'), token: s('LifecycleActionToken') };
}

// The lifecycle hooks the stack creates on every scaled group (deploy/hooks.cjs mirrors these).
export const LAUNCH_HOOK = 'greenlight-launch';
export const TERMINATE_HOOK = 'greenlight-terminate';
/** The launch hook outlives the join timeout, so the state machine decides (ABANDON) first. */
export const launchHookHeartbeat = (joinTimeoutSeconds: number) => joinTimeoutSeconds + 120;
export const TERMINATE_HOOK_HEARTBEAT_SECONDS = 300;
/** While draining, a heartbeat at least this often keeps the terminate hook open. */
export const HEARTBEAT_EVERY_SECONDS = 120;
