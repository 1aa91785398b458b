import { completeLifecycleAction, describeGroups, recordHeartbeat } from '../aws/autoscaling.js';
import { activeContainerInstances, containerInstanceOf, describeServices, setDraining, updateService } from '../aws/ecs.js';
import { readRoute } from '../aws/elbv2.js';
import {
  colourOfGroup,
  countsAsCapacity,
  desiredTasks,
  HEARTBEAT_EVERY_SECONDS,
  type LifecycleAction,
  parseLifecycleEvent,
  scaledApp,
} from '../core/capacity.js';
import type { Colour } from '../core/config.js';
import { InvalidInput } from '../core/errors.js';
import { colourWeights, liveColour } from '../core/route.js';
import { APP_NAME, formatIssues } from '../core/text.js';
import * as z from 'zod/mini';
import '../core/zod.js';
import type { Deps } from './deps.js';
import { routeOf } from './plan.js';

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
        .filter(([, a]) => a.kind === 'ecs' && a.scaling)
        .map(([n]) => n);
  return { mode: 'reconcile', pollSeconds: 5, apps };
}

function sideOf(deps: Deps, work: Pick<Work, 'app' | 'colour'>) {
  const app = scaledApp(deps.config, work.app!);
  return { app, side: app[work.colour!] };
}

export async function joinCheck(deps: Deps, input: { work: Work }) {
  const { side } = sideOf(deps, input.work);
  const id = input.work.action!.instanceId;
  const ci = await containerInstanceOf(deps.clients.ecs, side.cluster, id);
  const joined = ci?.status === 'ACTIVE';
  if (joined) return { joined, gone: false, timedOut: false, status: ci.status };
  // An instance that left the group meanwhile (a scale-in took it) will never join: stop waiting.
  const member = (await describeGroups(deps.clients.autoscaling, [side.autoScalingGroupName!])).get(side.autoScalingGroupName!)?.instances.find((i) => i.instanceId === id);
  const gone = !member?.lifecycleState.startsWith('Pending');
  return { joined, gone, timedOut: !gone && deps.now().getTime() > Date.parse(input.work.deadline!), status: ci?.status ?? 'not registered', ...(gone ? { lifecycleState: member?.lifecycleState ?? 'left the group' } : {}) };
}

export interface CountResult {
  app: string;
  colour: Colour;
  owner: 'capacity' | 'release';
  joined?: number;
  desired?: number;
  changed: boolean;
}

/** Recompute the colour's task count from the current state; only the live colour's is set. */
export async function setTaskCount(deps: Deps, input: { app: string; colour: Colour }): Promise<CountResult> {
  const { app, side } = sideOf(deps, input);
  const live = liveColour(colourWeights(await readRoute(deps.clients.elbv2, routeOf(app)), app));
  if (live !== input.colour) return { ...input, owner: 'release', changed: false };
  const [groups, instances, services] = await Promise.all([
    describeGroups(deps.clients.autoscaling, [side.autoScalingGroupName!]),
    activeContainerInstances(deps.clients.ecs, side.cluster),
    describeServices(deps.clients.ecs, side.cluster, [side.serviceName]),
  ]);
  const capacity = new Set(groups.get(side.autoScalingGroupName!)!.instances.filter((i) => countsAsCapacity(i.lifecycleState)).map((i) => i.instanceId));
  const joined = instances.filter((ci) => capacity.has(ci.ec2InstanceId)).length;
  const desired = desiredTasks(joined, app.scaling);
  const changed = services.get(side.serviceName)!.desiredCount !== desired;
  if (changed) await updateService(deps.clients.ecs, side.cluster, side.serviceName, { desiredCount: desired });
  return { ...input, owner: 'capacity', joined, desired, changed };
}

export async function completeLifecycle(deps: Deps, input: { work: Work; result: 'CONTINUE' | 'ABANDON' }) {
  const a = input.work.action!;
  const completion = await completeLifecycleAction(deps.clients.autoscaling, { group: a.group, hook: a.hook, token: a.token, instanceId: a.instanceId }, input.result);
  return { result: input.result, completion };
}

/** Drain first (ECS replaces the tasks elsewhere), then lower the count without the instance. */
export async function drainStart(deps: Deps, input: { work: Work }) {
  const { side } = sideOf(deps, input.work);
  const ci = await containerInstanceOf(deps.clients.ecs, side.cluster, input.work.action!.instanceId);
  if (ci?.status === 'ACTIVE') await setDraining(deps.clients.ecs, side.cluster, ci.arn);
  const count = await setTaskCount(deps, { app: input.work.app!, colour: input.work.colour! });
  return { containerInstance: ci?.arn ?? null, count, lastHeartbeat: deps.now().toISOString(), drained: false };
}

/** Drained once no task runs there (ECS stops a task only after its target deregistered). */
export async function drainCheck(deps: Deps, input: { work: Work; drain: { lastHeartbeat: string } }) {
  const { side } = sideOf(deps, input.work);
  const a = input.work.action!;
  const ci = await containerInstanceOf(deps.clients.ecs, side.cluster, a.instanceId);
  const running = ci ? ci.runningTasksCount + ci.pendingTasksCount : 0;
  const now = deps.now().getTime();
  const timedOut = running > 0 && now > Date.parse(input.work.deadline!);
  let lastHeartbeat = input.drain.lastHeartbeat;
  if (running > 0 && !timedOut && now - Date.parse(lastHeartbeat) >= HEARTBEAT_EVERY_SECONDS * 1000) {
    await recordHeartbeat(deps.clients.autoscaling, { group: a.group, hook: a.hook, token: a.token, instanceId: a.instanceId });
    lastHeartbeat = deps.now().toISOString();
  }
  return { drained: running === 0 || timedOut, timedOut, running, lastHeartbeat };
}

export async function reconcile(deps: Deps, input: { work: Work }) {
  const results: CountResult[] = [];
  for (const app of input.work.apps ?? []) for (const colour of ['blue', 'green'] as const) results.push(await setTaskCount(deps, { app, colour }));
  return { results };
}
