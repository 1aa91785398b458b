import { historyQuery,  } from '../aws/dynamodb.js';
import { countsAsCapacity, desiredTasks } from '../core/capacity.js';
import type { Config } from '../core/config.js';
import { causeMessage } from '../core/text.js';
import { SIM_TABLE } from '../sim/build.js';
import type { Scenario } from '../sim/scenario.js';
import type { Action, World } from '../sim/world.js';
import { CAPACITY_STATE_MACHINE_ARN, RELEASE_STATE_MACHINE_ARN } from './definitions.js';
import { checkInvariants, interleavedPairs, type RouteWrite, releaseOf } from './invariants.js';
import type { CapacitySummary, Outcome, Session, SimulationResult, Summary } from './simulate.js';
import type { ExecutionRecord } from './stepfunctions.js';
import { type CallRecord, changesInfrastructure } from './transport.js';

// A finished run, summarized: the outcome and its reason, the figures (time to live, requests,
// calls, transitions), the invariants, and what a capacity scenario converged to.

/**
 * The scenario's report: outcome, time to live against the physical limit, calls, transitions.
 * Long: the report's figures, each a line or two read from the run's records, in the order the summary prints them.
 */
export function summarize(session: Session, limitHit: boolean): SimulationResult {
  const { routeWrites, manualRouteChanges, initialSize, capacity, initialLive, scenario, clock, world, config, sfn, transport, traffic, bus, lifecycle, counters, primary, uploads, newest, uploadAt, uploadedVersion, others, before } = session;
  const lifecycleEvents = counters.lifecycleEvents;
  traffic.stop();
  session.uninstall();
  const all = [...sfn.executions.values()];
  const executions = all.filter((e) => e.stateMachineArn === RELEASE_STATE_MACHINE_ARN);
  const capacityExecutions = all.filter((e) => e.stateMachineArn === CAPACITY_STATE_MACHINE_ARN);
  const released = executions.filter((e) => e.statesEntered.some((s) => s.name === 'PrepareGreen'));
  // The release measured: the newest that prepared green, or that found its artifact already live.
  const decided = executions.filter((e) => e.statesEntered.some((s) => s.name === 'PrepareGreen' || s.name === 'FinishAlreadyLive'));
  const main = decided[decided.length - 1] ?? executions[executions.length - 1];
  const seconds = traffic.seconds.get(primary) ?? [];
  const appSpec = scenario.apps.find((a) => a.name === primary)!;
  const calls = transport.calls;
  const mutating = calls.filter(changesInfrastructure).length;
  const sampled = uploadedVersion ? timeToLive(seconds, uploadedVersion, uploadAt) : null;
  const ttl = sampled === null ? null : fromRouteChange(sampled, uploadAt, routeWrites.filter((w) => w.app === primary), transport.calls);
  const bound = greenReadyBound(scenario, appSpec) + configuredBakes(appSpec);
  const { outcome, reason } = limitHit
    ? { outcome: 'failed' as Outcome, reason: `simulation limit of ${scenario.limitSeconds} s reached with work still running` }
    : outcomeOf(main);
  const summary: Summary = {
    scenario: scenario.name,
    outcome,
    reason,
    app: primary,
    version: uploadedVersion,
    liveColor: liveColourOf(world, config, primary),
    liveVersion: lastVersion(seconds),
    executions: executions.length,
    releases: released.length,
    virtualSeconds: Math.round(clock.now),
    timeToLiveSeconds: ttl,
    greenReadyBoundSeconds: bound,
    liveOverBound: ttl === null ? null : Math.round((ttl / bound) * 1000) / 1000,
    requests: seconds.reduce((n, s) => n + s.total, 0),
    failedRequests: seconds.reduce((n, s) => n + s.failed, 0),
    awsCalls: calls.length,
    mutatingCalls: mutating,
    stateTransitions: all.reduce((n, e) => n + e.stateTransitions, 0),
    maxHistoryEvents: Math.max(0, ...all.map((e) => e.historyEvents)),
    otherAppsChanged: countChanged(before, snapshot(world, config, others)),
    accessDenied: transport.denied.length,
    invariantViolations: [],
  };
  const hasRelease = scenario.steps.some((st) => !('scale' in st));
  const cap = lifecycle ? capacitySummary(world, config, primary, calls.length, lifecycleEvents, bus.dropped.length, capacityExecutions) : null;
  if (cap && !hasRelease) {
    // Judged on the end state; executions that failed (with their error) are reported apart.
    summary.outcome = cap.desiredCount === cap.expectedDesiredCount && !limitHit ? 'converged' : 'diverged';
    summary.reason = summary.outcome === 'converged' ? null : `desiredCount ${cap.desiredCount}, expected ${cap.expectedDesiredCount}`;
  }
  const primaryConfig = config.apps[primary];
  if (primaryConfig.kind !== 'eip' && primaryConfig.test && uploadedVersion) summary.prodRequestsToGreen = seconds.reduce((n, s) => n + (s.versions[uploadedVersion] ?? 0), 0);
  const alarmStep = scenario.steps.find((st) => 'setAlarm' in st && st.setAlarm.state === 'ALARM');
  if (alarmStep) summary.rollbackLatencySeconds = rollbackLatency(world, config, primary, initialLive, alarmStep.at);
  if (newest) {
    summary.uploads = uploads.length;
    summary.interleaved = interleavedPairs(executions);
    summary.superseded = executions.filter((e) => (e.output as { outcome?: string } | undefined)?.outcome === 'superseded').length;
  }
  summary.events = countBy(world.published.filter((e) => e.source === 'greenlight').map((e) => e.detailType));
  summary.historyRecords = world.dynamodb.query({ TableName: SIM_TABLE, ...historyQuery(primary) }).Count;
  const fault = scenario.steps.find((st) => 'failInstance' in st);
  if (fault) summary.replacementSeconds = recoveredAfter(seconds, fault.at);
  if (ttl !== null) world.timeline.push({ t: uploadAt + ttl, text: `traffic: 100% of ${primary} requests answered by ${uploadedVersion}` });
  const releaseStep = scenario.steps.find((st) => 'upload' in st || 'startRelease' in st || 'uploadRaw' in st || 'ecrPush' in st);
  const impairStep = scenario.steps.find((st) => 'failInstance' in st);
  const scaleStep = scenario.steps.find((st) => 'scale' in st);
  summary.invariantViolations = checkInvariants({
    world,
    config,
    app: primary,
    outcome: summary.outcome,
    main,
    capacity,
    // The release judged is the one that decided last (it made the end state), against its own
    // version: with several uploads that may not be the newest (which may have failed first).
    version: (main && releaseOf(main)?.action === 'release' ? releaseOf(main)?.version : null) ?? uploadedVersion,
    initialVersion: appSpec.initialVersion,
    initialLive,
    initialSize,
    seconds,
    executions,
    routeWrites,
    releaseFrom: releaseStep ? releaseStep.at : Number.POSITIVE_INFINITY,
    minHealthyPercent: scenario.invariants.minHealthyPercent,
    impairedAt: impairStep ? impairStep.at : null,
    ...(cap && !hasRelease ? { capacityTarget: cap.expectedDesiredCount } : {}),
    scaledAt: scaleStep ? scaleStep.at : null,
    uploadOrder: uploads.map((u) => u.upload.version),
    manualRouteChanges: manualRouteChanges.filter((m) => m.app === primary).map((m) => m.t),
  });
  if (limitHit) summary.invariantViolations.push(`finished: ${summary.reason}`);
  // Executions end FAILED rather than throwing; anything else that threw is a defect to see.
  for (const err of session.procs.errors.filter((e) => !/the execution died here|Execution aborted/.test(e.message)))
    summary.invariantViolations.push(`no-crash: ${err.name}: ${err.message.slice(0, 300)}`);
  const want = scenario.expect;
  if (want?.outcome && summary.outcome !== want.outcome) summary.invariantViolations.push(`expected: outcome ${summary.outcome}, the scenario expects ${want.outcome}`);
  if (want?.liveVersion && summary.liveVersion !== want.liveVersion) summary.invariantViolations.push(`expected: ${summary.liveVersion} live at the end, the scenario expects ${want.liveVersion}`);
  const timeline = [...world.timeline].sort((a, b) => a.t - b.t);
  return { summary: cap ? { ...summary, ...cap } : summary, capacity, timeline, world, executions: all, calls, traffic, faults: transport.faults, lambda: session.lambda.invocations, config };
}

/** States in which a release execution changes (or may change) the app's infrastructure. */
/** Seconds from `from` until the app's route first sends everything to `colour` again (null: never). */
export function rollbackLatency(world: World, config: Config, app: string, colour: string, from: number): number | null {
  const a = config.apps[app];
  if (a.kind === 'eip' || (colour !== 'blue' && colour !== 'green')) return null;
  const arn = a.ruleArn ?? a.listenerArn;
  const tg = a[colour].targetGroupArn;
  const back = (actions: Action[]) => {
    const f = actions.find((x) => x.Type === 'forward');
    const groups = f?.ForwardConfig?.TargetGroups ?? (f?.TargetGroupArn ? [{ TargetGroupArn: f.TargetGroupArn, Weight: 1 }] : []);
    return groups.every((g) => (g.Weight ?? 1) === 0 || g.TargetGroupArn === tg) && groups.some((g) => g.TargetGroupArn === tg && (g.Weight ?? 1) > 0);
  };
  // Until the route is all on the old colour for good: after the last change (at or after the
  // alarm, or before it if still in force) that sent traffic elsewhere, e.g. a write in flight.
  const changes = world.elb.routeChanges.filter((c) => c.arn === arn);
  const inForce = changes.filter((c) => c.t <= from).pop();
  const after = changes.filter((c) => c.t > from);
  const lastAway = [...(inForce && !back(inForce.actions) ? [inForce] : []), ...after.filter((c) => !back(c.actions))].pop();
  if (!lastAway) return 0;
  const change = after.find((c) => c.t >= lastAway.t && back(c.actions));
  return change ? Math.round((change.t - from) * 100) / 100 : null;
}

export function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** The live colour's service count against tasksPerInstance × joined instances. */
export function capacitySummary(world: World, config: Config, app: string, awsCalls: number, events: number, dropped: number, executions: ExecutionRecord[]): CapacitySummary {
  const a = config.apps[app];
  if (a?.kind !== 'ecs' || !a.scaling) throw new Error(`scenario: app ${app} has no scaling block`);
  const live = liveColourOf(world, config, app) as 'blue' | 'green';
  const side = a[live];
  const group = world.group(side.autoScalingGroupName!);
  const capacity = new Set(group.instances.filter((id) => countsAsCapacity(world.instances.get(id)!.lifecycle)));
  const joined = [...world.ecs.containerInstances.values()].filter((ci) => ci.cluster === side.cluster && ci.status === 'ACTIVE' && capacity.has(ci.ec2InstanceId)).length;
  return {
    desiredCount: world.ecs.service(side.cluster, side.serviceName).desiredCount,
    expectedDesiredCount: desiredTasks(joined, a.scaling),
    tasksStoppedWhileServing: world.ecs.tasksStoppedWhileServing,
    lifecycleActionsCompleted: world.lifecycleCounts.continued,
    lifecycleActionsAbandoned: world.lifecycleCounts.abandoned,
    lifecycleActionsTimedOut: world.lifecycleCounts.timedOut,
    lifecycleEvents: events,
    eventsDropped: dropped,
    awsCallsPerEvent: events ? Math.round((awsCalls / events) * 10) / 10 : null,
    capacityExecutions: executions.length,
    capacityExecutionsFailed: executions.filter((e) => e.status === 'FAILED').length,
  };
}

export function primaryApp(s: Scenario): string {
  const step = s.steps[0];
  // No script (a simulator session the operator drives): the first app.
  if (!step) return s.apps[0].name;
  if ('failInstance' in step) return step.failInstance.app;
  if ('scale' in step) return step.scale.app;
  if ('ecrPush' in step) return s.apps.find((a) => a.kind === 'ecs' && (a.greenlight.ecr as { repository?: string } | undefined)?.repository === step.ecrPush.repository)?.name ?? s.apps[0].name;
  if ('upload' in step) return step.upload.app;
  const app = 'startRelease' in step ? step.startRelease.input.app : undefined;
  if (typeof app === 'string' && s.apps.some((a) => a.name === app)) return app;
  if ('uploadRaw' in step) {
    const m = /^releases\/([^/]+)\//.exec(step.uploadRaw.key);
    if (m && s.apps.some((a) => a.name === m[1])) return m[1];
  }
  return s.apps[0].name;
}

export function primaryVersion(s: Scenario): string | null {
  const step = s.steps[0];
  if (!step) return null;
  if ('ecrPush' in step) return step.ecrPush.tag;
  if ('upload' in step) return step.upload.version;
  if ('startRelease' in step && typeof step.startRelease.input.version === 'string') return step.startRelease.input.version;
  return null;
}

export function outcomeOf(e: ExecutionRecord | undefined): { outcome: Outcome; reason: string | null } {
  if (!e) return { outcome: 'failed', reason: 'no release execution started' };
  if (e.status === 'SUCCEEDED') {
    const out = e.output as { outcome?: Outcome; note?: string } | undefined;
    return { outcome: out?.outcome ?? 'released', reason: out?.note ?? null };
  }
  const reason = `${e.error}: ${causeMessage(e.cause)}`;
  if (e.error === 'ReleaseRejected') return { outcome: 'rejected', reason };
  // Rolled back by its Rollback step, or stopped by the guard after it flipped traffic back.
  if (e.error === 'ReleaseRolledBack' || e.error === 'AlarmRollback') return { outcome: 'rolled-back', reason };
  return { outcome: 'failed', reason };
}

/** First second after `from` from which no request fails again, minus `from`. */
export function recoveredAfter(seconds: { t: number; total: number; failed: number }[], from: number): number | null {
  let first: number | null = null;
  let sawFailure = false;
  for (const s of seconds) {
    if (s.t < from) continue;
    if (s.failed > 0) {
      sawFailure = true;
      first = null;
    } else if (s.total > 0) first ??= s.t;
  }
  return sawFailure && first !== null ? Math.round((first - from) * 100) / 100 : sawFailure ? null : 0;
}

/** First second from which every request of the app is answered by `version`, minus the upload time. */
export function timeToLive(seconds: { t: number; total: number; versions: Record<string, number> }[], version: string, from: number): number | null {
  let first: number | null = null;
  for (const s of seconds) {
    if (s.t < from) continue;
    const all = s.total > 0 && (s.versions[version] ?? 0) === s.total;
    if (all) first ??= s.t;
    else first = null;
  }
  return first === null ? null : Math.round((first - from) * 100) / 100;
}

/**
 * Time to live, exactly: the moment the route change that moved the last of the traffic landed
 * (a listener or rule write with one weighted target group, or for eip the address moving), not
 * the whole second the traffic sampler first saw every request answered by the new version.
 */
export function fromRouteChange(sampled: number, from: number, writes: RouteWrite[], calls: CallRecord[]): number {
  const seen = from + sampled;
  const whole = (w: RouteWrite) => (w.actions ?? []).some((a) => a.Type === 'forward' && (a.ForwardConfig?.TargetGroups ?? []).filter((g) => (g.Weight ?? 1) > 0).length === 1);
  const landed = [
    ...writes.filter((w) => whole(w) && w.t >= from && w.t <= seen).map((w) => w.t),
    ...calls.filter((c) => c.command === 'AssociateAddress' && !c.error && c.end !== undefined && c.end >= from && c.end <= seen).map((c) => c.end!),
  ];
  if (!landed.length) return sampled;
  return Math.round((Math.max(...landed) - from) * 100) / 100;
}

/** What a progressive release waits by design before the last shift: canary and linear bakes, custom steps' bakes. */
export function configuredBakes(app: Scenario['apps'][number]): number {
  const t = (app.greenlight as { traffic?: { strategy: string; bakeSeconds?: number; stepPercent?: number; intervalSeconds?: number; steps?: { bakeSeconds: number }[] } } | undefined)?.traffic;
  if (!t) return 0;
  if (t.strategy === 'canary') return t.bakeSeconds ?? 0;
  if (t.strategy === 'linear') return (Math.ceil(100 / (t.stepPercent ?? 100)) - 1) * (t.intervalSeconds ?? 0);
  if (t.strategy === 'custom') return (t.steps ?? []).slice(0, -1).reduce((n, x) => n + x.bakeSeconds, 0);
  return 0;
}

/**
 * The physical limit: the earliest all new targets could be healthy. asg: launch + boot, then the
 * health checks. ecs: (EC2 capacity: launch + boot + agent registration) + Fargate provisioning +
 * image pull + container start, then the health checks.
 */
export function greenReadyBound(s: Scenario, app: Scenario['apps'][number]): number {
  const p = s.physics;
  // eip: (an image of the live server, then) boot, then status checks and the HTTP check.
  if (app.kind === 'eip') return (app.greenlight.stamp === 'image' ? p.imageSeconds : 0) + p.bootSeconds + Math.max(p.statusCheckSeconds, p.appStartSeconds);
  const I = app.healthCheck.intervalSeconds;
  const firstPassing = Math.max(1, Math.ceil(p.appStartSeconds / I - 1e-9));
  const checks = (firstPassing + app.healthCheck.healthyThresholdCount - 1) * I;
  if (app.kind === 'asg') return p.launchDelaySeconds + p.bootSeconds + checks;
  const capacity = app.capacity === 'ec2' ? p.launchDelaySeconds + p.bootSeconds + p.agentSeconds : p.provisionSeconds;
  return capacity + p.pullSeconds + p.containerStartSeconds + checks;
}

export function lastVersion(seconds: { versions: Record<string, number> }[]): string | null {
  const last = seconds[seconds.length - 1];
  if (!last) return null;
  const top = Object.entries(last.versions).sort((a, b) => b[1] - a[1])[0];
  return top ? top[0] : null;
}

export function liveColourOf(world: World, config: Config, app: string): string {
  const a = config.apps[app];
  if (a.kind === 'eip') return world.ec2.address(a.allocationId).instanceId ?? 'none';
  const f = world.elb.describeActions(routeActions(world, a)).find((x) => x.Type === 'forward');
  const live = (f?.ForwardConfig?.TargetGroups ?? []).filter((g) => (g.Weight ?? 0) > 0).map((g) => g.TargetGroupArn);
  const colours = live.map((tg) => (tg === a.blue.targetGroupArn ? 'blue' : tg === a.green.targetGroupArn ? 'green' : 'other'));
  return colours.length === 1 ? colours[0] : colours.length ? `split(${colours.join('+')})` : 'none';
}

/** Everything greenlight could change for the given apps: routes, groups, target registrations. */
export function snapshot(world: World, config: Config, apps: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of apps) {
    const a = config.apps[name];
    if (a.kind === 'eip') {
      out.set(`${name}:address`, String(world.ec2.address(a.allocationId).instanceId));
      continue;
    }
    out.set(`${name}:route`, JSON.stringify(routeActions(world, a)));
    for (const c of [a.blue, a.green]) {
      if (c.autoScalingGroupName) {
        const grp = world.group(c.autoScalingGroupName);
        out.set(`${name}:${grp.name}`, JSON.stringify([grp.min, grp.max, grp.desired, grp.launchTemplateVersion, grp.instances]));
      }
      if ('serviceName' in c) {
        const svc = world.ecs.service(c.cluster, c.serviceName);
        out.set(`${name}:${c.serviceName}`, JSON.stringify([svc.desiredCount, svc.taskDefinition]));
      }
    }
  }
  return out;
}

/** The actions of an app's route: its listener rule, or the listener's default actions. */
export function routeActions(world: World, a: { listenerArn: string; ruleArn?: string }) {
  return a.ruleArn ? world.elb.rule(a.ruleArn).actions : world.elb.listener(a.listenerArn).defaultActions;
}

export function countChanged(a: Map<string, string>, b: Map<string, string>): number {
  let n = 0;
  for (const [k, v] of a) if (b.get(k) !== v) n++;
  return n;
}


