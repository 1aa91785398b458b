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
    if (!('scaling' in a) || !a.scaling) continue;
    for (const colour of ['blue', 'green'] as const) if (a[colour].autoScalingGroupName === group) return { app, colour };
  }
  return null;
}

export function scaledApp(config: Config, app: string): EcsAppConfig & { scaling: Scaling } {
  const a = Object.hasOwn(config.apps, app) ? config.apps[app] : undefined;
  if (!a) throw new InvalidInput(`unknown app "${app}"`);
  if (!('scaling' in a) || !a.scaling) throw new InvalidInput(`app "${app}" has no scaling: block (ECS tasks following the Auto Scaling group)`);
  return a as EcsAppConfig & { scaling: Scaling };
}

/** tasksPerInstance × joined instances, clamped to [minTasks, maxTasks]. */
export function desiredTasks(joinedInstances: number, s: Pick<Scaling, 'tasksPerInstance' | 'minTasks' | 'maxTasks'>): number {
  return Math.max(s.minTasks, Math.min(s.maxTasks, joinedInstances * s.tasksPerInstance));
}

/**
 * Whether a terminating instance must be held (not drained yet): tasks run on it, the instances
 * that stay cannot host the service's current count, and an instance still launching in the
 * group will bring the room. Draining now would stop those tasks with nowhere to place them, and
 * the serving count would drop below ECS's minimumHealthyPercent (100) until the replacement
 * joins. With nothing launching it is a real scale-in: drain and lower the count at once.
 */
export function holdForReplacement(
  v: { tasksOnInstance: number; joinedOthers: number; launching: number; desiredNow: number },
  s: Pick<Scaling, 'tasksPerInstance' | 'minTasks' | 'maxTasks'>,
): boolean {
  return v.tasksOnInstance > 0 && v.launching > 0 && desiredTasks(v.joinedOthers, s) < v.desiredNow;
}

/** How long a terminating instance may wait for its replacement: the launch check ends by then. */
export const holdSeconds = (s: Pick<Scaling, 'joinTimeoutSeconds' | 'pollSeconds'>) => s.joinTimeoutSeconds + 2 * s.pollSeconds;

/** Instances that count as capacity: in the group, not leaving it. */
export function countsAsCapacity(lifecycleState: string): boolean {
  return lifecycleState === 'InService' || lifecycleState.startsWith('Pending');
}

/**
 * Whether a joined (ACTIVE) instance's room counts toward the service's task count: it stays in
 * the group, or it is leaving with tasks still running there and its drain not started (held
 * for a replacement). A leaving instance without tasks (one that joined after its termination
 * began) does not count, so no task is sized for it. Once draining, it is no longer ACTIVE.
 */
export function countsTowardTasks(lifecycleState: string, ci: { status: string; tasks: number }): boolean {
  if (ci.status !== 'ACTIVE') return false;
  return countsAsCapacity(lifecycleState) || ((lifecycleState === 'Terminating' || lifecycleState === 'Terminating:Wait') && ci.tasks > 0);
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

/** How long after the predicted join the first look is made (a registration is not seen the instant it happens). */
export const JOIN_MARGIN_MS = 1000;

/**
 * When a launching instance can first have joined its cluster: its launch time plus the shortest
 * join delay (registeredAt − EC2 LaunchTime) of the instances that already joined the cluster,
 * which booted the same way. Null when nothing is known (no instance joined yet, or no launch
 * time): then the launch is polled every pollSeconds, as before. The shortest delay is used so
 * that the prediction is not late: an instance whose agent re-registered later only lengthens
 * its own figure.
 */
export function expectedJoinAt(launchedAt: number | null, joinDelaysMs: readonly number[]): number | null {
  const delays = joinDelaysMs.filter((d) => Number.isFinite(d) && d > 0);
  if (launchedAt === null || !launchedAt || !delays.length) return null;
  return launchedAt + Math.min(...delays);
}

/**
 * The next look at a launch not joined yet: at the prediction (plus a margin; at most half the
 * join timeout away), then every second for one poll period past it (the prediction is a
 * shortest delay: the join is near), then every pollSeconds until the deadline.
 */
export function nextJoinCheckAt(now: number, expected: number | null, s: Pick<Scaling, 'pollSeconds' | 'joinTimeoutSeconds'>): { at: number; why: string } {
  const poll = s.pollSeconds * 1000;
  if (expected === null) return { at: now + poll, why: 'no join seen in this cluster yet: polling' };
  const first = expected + JOIN_MARGIN_MS;
  if (now < first) return { at: Math.min(first, now + (s.joinTimeoutSeconds * 1000) / 2), why: 'when the cluster’s instances took to join' };
  if (now < first + poll) return { at: now + 1000, why: 'past the predicted join: looking every second' };
  return { at: now + poll, why: 'later than any instance of the cluster joined: polling' };
}
