import * as z from 'zod/mini';
import { completeLifecycleAction, describeGroups, recordHeartbeat } from '../aws/autoscaling.js';
import { activeContainerInstances, type ContainerInstanceState, containerInstanceByArn, containerInstanceOf, describeServices, setDraining, updateService } from '../aws/ecs.js';
import { describeInstances } from '../aws/ec2.js';
import { readRoute } from '../aws/elbv2.js';
import {
  colourOfGroup,
  countsAsCapacity,
  countsTowardTasks,
  desiredTasks,
  expectedJoinAt,
  HEARTBEAT_EVERY_SECONDS,
  holdForReplacement,
  holdSeconds,
  type LifecycleAction,
  nextJoinCheckAt,
  parseLifecycleEvent,
  type Scaling,
  scaledApp,
} from '../core/capacity.js';
import type { Colour } from '../core/config.js';
import { AwsAccessDenied, AwsRequestRejected, AwsResourceNotFound, InvalidInput, Throttled, TransientAwsError } from '../core/errors.js';
import { colourWeights, liveColour } from '../core/route.js';
import { APP_NAME, formatIssues } from '../core/text.js';
import '../core/zod.js';
import type { Deps } from './deps.js';
import { routeOf } from './sides.js';

// The capacity state machine's steps: ECS tasks follow the Auto Scaling group (seed 003).
// Ownership: the count of the LIVE colour (read from the load balancer) is set here; the idle
// colour's count belongs to the release (green before the switch, the old colour after it).

export interface Work {
  mode: 'launch' | 'terminate' | 'reconcile' | 'ignore';
  pollSeconds: number;
  app?: string;
  colour?: Colour;
  action?: LifecycleAction;
  deadline?: string;
  apps?: string[];
  note?: string;
}

const Manual = z.strictObject({
  action: z.literal('reconcile'),
  app: z.optional(z.string().check(z.regex(APP_NAME, { message: 'lowercase letters, digits and dashes' }))),
});

export async function classify(deps: Deps, input: unknown): Promise<Work> {
  const now = deps.now().getTime();
  if ((input as { source?: string })?.source === 'aws.autoscaling') {
    const action = parseLifecycleEvent(input);
    const ref = colourOfGroup(deps.config, action.group);
    if (!ref) return { mode: 'ignore', pollSeconds: 5, note: `group ${action.group} backs no scaled app colour` };
    const s = scaledApp(deps.config, ref.app).scaling;
    const seconds = action.transition === 'launch' ? s.joinTimeoutSeconds : s.drainTimeoutSeconds;
    return { mode: action.transition, pollSeconds: s.pollSeconds, ...ref, action, deadline: new Date(now + seconds * 1000).toISOString() };
  }
  const manual = Manual.safeParse(input);
  if (!manual.success)
    throw new InvalidInput(`input must be an Auto Scaling lifecycle action event or {"action":"reconcile"} / {"app":"<app>","action":"reconcile"}: ${formatIssues(manual.error.issues)}`);
  if (manual.data.app) scaledApp(deps.config, manual.data.app); // names the problem if it is not scaled
  const apps = manual.data.app
    ? [manual.data.app]
    : Object.entries(deps.config.apps)
        .filter(([, a]) => 'scaling' in a && a.scaling)
        .map(([n]) => n);
  return { mode: 'reconcile', pollSeconds: 5, apps };
}

type Side = ReturnType<typeof sideOf>['side'];

function sideOf(deps: Deps, work: Pick<Work, 'app' | 'colour'>) {
  const app = scaledApp(deps.config, work.app!);
  return { app, side: app[work.colour!] };
}

/** What JoinCheck saw; `previous` of the next look. */
export interface JoinResult {
  joined: boolean;
  gone: boolean;
  timedOut: boolean;
  status: string;
  lifecycleState?: string;
  /** When the instance can first have joined (epoch ms), from the cluster's own joins; null: unknown. */
  expectedJoinAt?: number | null;
  /** When to look again (the Wait's timestamp). */
  nextCheckAt?: string;
  nextCheckWhy?: string;
}

/**
 * Has the launching instance joined its cluster? The first look (right after the lifecycle
 * event) also predicts when it can join, from how long the cluster's instances took; the next
 * look is then, not a fixed poll later (src/core/capacity.ts, nextJoinCheckAt).
 */
export async function joinCheck(deps: Deps, input: { work: Work; previous?: Partial<JoinResult> }): Promise<JoinResult> {
  const { app, side } = sideOf(deps, input.work);
  const id = input.work.action!.instanceId;
  if (!input.previous || !('expectedJoinAt' in input.previous)) return firstLook(deps, app.scaling, side.cluster, id);
  const ci = await containerInstanceOf(deps.clients.ecs, side.cluster, id);
  const joined = ci?.status === 'ACTIVE';
  if (joined) return { joined, gone: false, timedOut: false, status: ci.status };
  // An instance that left the group meanwhile (a scale-in took it) will never join: stop waiting.
  const member = (await describeGroups(deps.clients.autoscaling, [side.autoScalingGroupName!])).get(side.autoScalingGroupName!)?.instances.find((i) => i.instanceId === id);
  const gone = !member?.lifecycleState.startsWith('Pending');
  const status = ci?.status ?? 'not registered';
  if (gone) return { joined, gone, timedOut: false, status, lifecycleState: member?.lifecycleState ?? 'left the group' };
  const now = deps.now().getTime();
  const expected = input.previous.expectedJoinAt ?? null;
  const next = nextJoinCheckAt(now, expected, app.scaling);
  return { joined, gone, timedOut: now > Date.parse(input.work.deadline!), status, expectedJoinAt: expected, nextCheckAt: new Date(next.at).toISOString(), nextCheckWhy: next.why };
}

/**
 * The look at the lifecycle event: the cluster's ACTIVE container instances (is this one among
 * them?) and, when it is not, when it can join: its launch time plus the shortest join delay
 * (registeredAt − LaunchTime) of the instances that did. One call for an empty cluster, three
 * otherwise, whatever the cluster's size (one page of 100); whether the instance left the group
 * is asked from the next look on.
 */
async function firstLook(deps: Deps, scaling: Scaling, cluster: string, instanceId: string): Promise<JoinResult> {
  // One page (100) is plenty to learn from, and keeps the look's cost flat in the cluster's size.
  const active = await activeContainerInstances(deps.clients.ecs, cluster, 1);
  if (active.some((c) => c.ec2InstanceId === instanceId)) return { joined: true, gone: false, timedOut: false, status: 'ACTIVE' };
  const expected = active.length ? await predictJoin(deps, cluster, instanceId, active) : null;
  const now = deps.now().getTime();
  const next = nextJoinCheckAt(now, expected, scaling);
  return { joined: false, gone: false, timedOut: false, status: 'not registered', expectedJoinAt: expected, nextCheckAt: new Date(next.at).toISOString(), nextCheckWhy: next.why };
}

async function predictJoin(deps: Deps, cluster: string, instanceId: string, active: { ec2InstanceId: string; registeredAt: number }[]): Promise<number | null> {
  // The 50 most recent registrations are plenty to know how long a boot and an agent start take.
  const joined = [...active].sort((a, b) => b.registeredAt - a.registeredAt).slice(0, 50);
  try {
    const launched = new Map((await describeInstances(deps.clients.ec2, { instanceIds: [instanceId, ...joined.map((c) => c.ec2InstanceId)] })).map((i) => [i.instanceId, i.launchTime]));
    return expectedJoinAt(launched.get(instanceId) ?? null, joined.map((c) => c.registeredAt - (launched.get(c.ec2InstanceId) ?? Number.NaN)));
  } catch (err) {
    // A prediction only saves looks: without it the launch is polled as before.
    if (err instanceof Throttled || err instanceof TransientAwsError || err instanceof AwsResourceNotFound || err instanceof AwsRequestRejected || err instanceof AwsAccessDenied) {
      deps.logger.warn('join prediction unavailable; polling', { cluster, instanceId, error: err.name, detail: err.message });
      return null;
    }
    throw err;
  }
}

export interface CountResult {
  app: string;
  colour: Colour;
  owner: 'capacity' | 'release';
  joined?: number;
  desired?: number;
  changed: boolean;
}

/** The group's members, which of them joined the cluster (ACTIVE), and the service's count. */
async function readCapacity(deps: Deps, side: Side) {
  const [groups, instances, services] = await Promise.all([
    describeGroups(deps.clients.autoscaling, [side.autoScalingGroupName!]),
    activeContainerInstances(deps.clients.ecs, side.cluster),
    describeServices(deps.clients.ecs, side.cluster, [side.serviceName]),
  ]);
  const members = groups.get(side.autoScalingGroupName!)!.instances;
  const active = new Map(instances.map((ci) => [ci.ec2InstanceId, ci]));
  const counted = members.filter((i) => countsTowardTasks(i.lifecycleState, { status: active.has(i.instanceId) ? 'ACTIVE' : 'not active', tasks: active.get(i.instanceId)?.tasks ?? 0 }));
  // Staying: joined and not leaving. The rest of counted are held terminating instances.
  const staying = counted.filter((i) => countsAsCapacity(i.lifecycleState)).map((i) => i.instanceId);
  const launching = members.filter((i) => i.lifecycleState.startsWith('Pending') && !active.has(i.instanceId)).length;
  // Strays: leaving instances that joined with nothing on them (their agent registered after the
  // termination began). ECS would place tasks there (the most room) and lose them at termination.
  const strays = members.filter((i) => i.lifecycleState.startsWith('Terminating') && active.get(i.instanceId)?.tasks === 0).map((i) => active.get(i.instanceId)!.arn);
  return { counted: counted.length, staying, launching, strays, active, desiredNow: services.get(side.serviceName)!.desiredCount ?? 0 };
}

/**
 * Recompute the colour's task count from the current state; only the live colour's is set.
 * `raiseOnly` (a launch): a launch adds capacity, so a lower figure there can only come from a
 * stale read of the cluster (ECS's list APIs are eventually consistent): it is not applied.
 */
export async function setTaskCount(deps: Deps, input: { app: string; colour: Colour; raiseOnly?: boolean }): Promise<CountResult> {
  const { app, side } = sideOf(deps, input);
  const ref = { app: input.app, colour: input.colour };
  const live = liveColour(colourWeights(await readRoute(deps.clients.elbv2, routeOf(app)), app));
  if (live !== input.colour) return { ...ref, owner: 'release', changed: false };
  const { counted, desiredNow, strays } = await readCapacity(deps, side);
  if (strays.length) await setDraining(deps.clients.ecs, side.cluster, strays);
  const computed = desiredTasks(counted, app.scaling);
  const desired = input.raiseOnly ? Math.max(computed, desiredNow) : computed;
  const changed = desiredNow !== desired;
  if (changed) await updateService(deps.clients.ecs, side.cluster, side.serviceName, { desiredCount: desired });
  return { ...ref, owner: 'capacity', joined: counted, desired, changed };
}

export async function completeLifecycle(deps: Deps, input: { work: Work; result: 'CONTINUE' | 'ABANDON' }) {
  const a = input.work.action!;
  const completion = await completeLifecycleAction(deps.clients.autoscaling, { group: a.group, hook: a.hook, token: a.token, instanceId: a.instanceId }, input.result);
  return { result: input.result, completion };
}

export interface DrainState {
  containerInstance: string | null;
  /** Held: the drain has not started, the instance's tasks wait for a launching replacement. */
  held: boolean;
  holdUntil: string;
  heldSince?: string;
  /** The drain's own deadline (drainTimeoutSeconds from when it started). */
  deadline?: string;
  lastHeartbeat: string;
  drained: boolean;
  timedOut: boolean;
  running?: number;
  count?: CountResult;
  reason?: string;
}

/** Why this terminating instance must wait before it drains, or null when it may drain now. */
async function holdReason(deps: Deps, work: Work, ci: ContainerInstanceState | null, view: Awaited<ReturnType<typeof readCapacity>>): Promise<string | null> {
  if (ci?.status !== 'ACTIVE') return null; // not joined, or its drain already started
  const { app } = sideOf(deps, work);
  const v = { tasksOnInstance: ci.runningTasksCount + ci.pendingTasksCount, joinedOthers: view.staying.filter((id) => id !== work.action!.instanceId).length, launching: view.launching, desiredNow: view.desiredNow };
  if (!holdForReplacement(v, app.scaling)) return null;
  return `${v.tasksOnInstance} task(s) run here and the ${v.joinedOthers} other joined instance(s) hold ${desiredTasks(v.joinedOthers, app.scaling)} of ${v.desiredNow}: waiting for ${v.launching} launching instance(s) to join`;
}

/** Drain (ECS replaces the tasks elsewhere, healthy first), then lower the count without the instance. */
async function beginDrain(deps: Deps, work: Work, ci: ContainerInstanceState | null, strays: string[]) {
  const { app, side } = sideOf(deps, work);
  // Strays first or with it, so the tasks ECS replaces elsewhere do not land on them.
  const arns = [...new Set([...strays, ...(ci?.status === 'ACTIVE' ? [ci.arn] : [])])];
  if (arns.length) await setDraining(deps.clients.ecs, side.cluster, arns);
  const count = await setTaskCount(deps, { app: work.app!, colour: work.colour! });
  return { held: false, count, containerInstance: ci?.arn ?? null, deadline: new Date(deps.now().getTime() + app.scaling.drainTimeoutSeconds * 1000).toISOString() };
}

async function heartbeatIfDue(deps: Deps, a: LifecycleAction, lastHeartbeat: string): Promise<string> {
  if (deps.now().getTime() - Date.parse(lastHeartbeat) < HEARTBEAT_EVERY_SECONDS * 1000) return lastHeartbeat;
  await recordHeartbeat(deps.clients.autoscaling, { group: a.group, hook: a.hook, token: a.token, instanceId: a.instanceId });
  return deps.now().toISOString();
}

/**
 * A terminating instance: held while its tasks have nowhere to go until a launching instance
 * joins (a flapping group), then drained. Both phases are polled by the same Wait/Choice loop.
 */
export async function drainStart(deps: Deps, input: { work: Work }): Promise<DrainState> {
  const { app, side } = sideOf(deps, input.work);
  const id = input.work.action!.instanceId;
  const view = await readCapacity(deps, side);
  // ACTIVE, it is in that read; otherwise (not joined, or DRAINING on a re-run) it is looked up.
  // (The count after the drain is read again: other instances of the group drain concurrently.)
  const listed = view.active.get(id);
  const ci = listed ? { arn: listed.arn, status: 'ACTIVE', runningTasksCount: listed.tasks, pendingTasksCount: 0 } : await containerInstanceOf(deps.clients.ecs, side.cluster, id);
  const now = deps.now();
  const base = { containerInstance: ci?.arn ?? null, holdUntil: new Date(now.getTime() + holdSeconds(app.scaling) * 1000).toISOString(), lastHeartbeat: now.toISOString(), drained: false, timedOut: false };
  const reason = await holdReason(deps, input.work, ci, view);
  if (reason) return { ...base, held: true, heldSince: now.toISOString(), reason };
  return { ...base, ...(await beginDrain(deps, input.work, ci, view.strays)) };
}

/** Held: re-check the replacement. Draining: drained once no task runs there (ECS stops a task only after its target deregistered). */
export async function drainCheck(deps: Deps, input: { work: Work; drain: DrainState }): Promise<DrainState> {
  const { side } = sideOf(deps, input.work);
  const a = input.work.action!;
  // The ARN DrainStart found is looked up directly; an instance that had not joined then is listed again.
  const known = input.drain.containerInstance;
  const ci = known ? await containerInstanceByArn(deps.clients.ecs, side.cluster, known) : await containerInstanceOf(deps.clients.ecs, side.cluster, a.instanceId);
  const now = deps.now().getTime();
  if (input.drain.held) {
    const view = await readCapacity(deps, side);
    const reason = now < Date.parse(input.drain.holdUntil) ? await holdReason(deps, input.work, ci, view) : null;
    if (reason) return { ...input.drain, reason, lastHeartbeat: await heartbeatIfDue(deps, a, input.drain.lastHeartbeat) };
    const waited = now < Date.parse(input.drain.holdUntil) ? 'the replacement joined' : 'the hold reached its bound (scaling.joinTimeoutSeconds + 2 polls)';
    return { ...input.drain, ...(await beginDrain(deps, input.work, ci, view.strays)), reason: waited };
  }
  const running = ci ? ci.runningTasksCount + ci.pendingTasksCount : 0;
  const timedOut = running > 0 && now > Date.parse(input.drain.deadline ?? input.work.deadline!);
  const lastHeartbeat = running > 0 && !timedOut ? await heartbeatIfDue(deps, a, input.drain.lastHeartbeat) : input.drain.lastHeartbeat;
  return { ...input.drain, drained: running === 0 || timedOut, timedOut, running, lastHeartbeat };
}

export async function reconcile(deps: Deps, input: { work: Work }) {
  const results: CountResult[] = [];
  for (const app of input.work.apps ?? []) for (const colour of ['blue', 'green'] as const) results.push(await setTaskCount(deps, { app, colour }));
  return { results };
}
