import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { historyQuery, lockItem, lockKey, lockOf } from '../aws/dynamodb.js';
import { countsAsCapacity, desiredTasks } from '../core/capacity.js';
import type { Config } from '../core/config.js';
import { causeMessage, formatIssues } from '../core/text.js';
import { simApi, simulatedCommands } from '../sim/api.js';
import { buildWorld, pushImage, REGISTRY, SIM_BUCKET, SIM_TABLE, SIM_TOPIC } from '../sim/build.js';
import { VirtualClock } from '../sim/clock.js';
import { type BusEvent, EventBus } from '../sim/eventbridge.js';
import { LambdaService } from '../sim/lambda.js';
import { type Scenario, ScenarioSchema } from '../sim/scenario.js';
import { Traffic } from '../sim/traffic.js';
import { ACCOUNT, type Action, hexId, REGION, type World } from '../sim/world.js';
import { answerApproval } from '../steps/approval.js';
import type { Deps } from '../steps/deps.js';
import { alarmPattern, eventPatterns, functionTimeouts, guardPattern, lifecyclePattern, loadDefinition } from './definitions.js';
import { simDeps } from './deps.js';
import { FUNCTIONS } from './functions.js';
import { authorizer, functionPolicies } from './iam-policy.js';
import { checkInvariants, desired, interleavedPairs, type RouteWrite, releaseOf } from './invariants.js';
import { Processes } from './processes.js';
import { type ExecutionRecord, LocalStepFunctions } from './stepfunctions.js';
import { type CallRecord, changesInfrastructure, SimTransport } from './transport.js';

// One scenario, end to end: the S3 upload, EventBridge, the dispatch Lambda, the release state
// machine and its real handlers, the simulated account and a synthetic client, in virtual time.

export const RELEASE_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:greenlight-sim-release`;
export const CAPACITY_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:greenlight-sim-capacity`;

/** Present when the scenario has an app whose ECS tasks follow its Auto Scaling group. */
export interface CapacitySummary {
  desiredCount: number;
  expectedDesiredCount: number;
  tasksStoppedWhileServing: number;
  lifecycleActionsCompleted: number;
  lifecycleActionsAbandoned: number;
  lifecycleActionsTimedOut: number;
  lifecycleEvents: number;
  eventsDropped: number;
  awsCallsPerEvent: number | null;
  capacityExecutions: number;
  capacityExecutionsFailed: number;
}

/** Release outcomes, and for capacity-only scenarios whether the task count converged. */
export type Outcome = 'released' | 'already-live' | 'rolled-back' | 'rejected' | 'superseded' | 'failed' | 'converged' | 'diverged' | 'replaced';

export interface Summary {
  scenario: string;
  outcome: Outcome;
  reason: string | null;
  app: string;
  version: string | null;
  liveColor: string;
  liveVersion: string | null;
  executions: number;
  releases: number;
  virtualSeconds: number;
  timeToLiveSeconds: number | null;
  greenReadyBoundSeconds: number;
  liveOverBound: number | null;
  requests: number;
  failedRequests: number;
  awsCalls: number;
  mutatingCalls: number;
  stateTransitions: number;
  /** The most Step Functions history events any one execution wrote (the limit is 25,000). */
  maxHistoryEvents: number;
  otherAppsChanged: number;
  /** Calls IAM denied to greenlight's functions under the stack's own policy (0 in every shipped scenario). */
  accessDenied: number;
  /** Scenarios with a server fault: from the fault until every request is answered again. */
  replacementSeconds?: number | null;
  /** Scenarios with several uploads of the app: did releases overlap, and which were superseded. */
  /** Apps with a test listener or rule: production requests answered by the uploaded version. */
  prodRequestsToGreen?: number;
  /** Scenarios where a guard alarm fires: from its state change until the route is all on the old colour again. */
  rollbackLatencySeconds?: number | null;
  interleaved?: number;
  superseded?: number;
  uploads?: number;
  /** Events published (EventBridge, source greenlight) and history records written. */
  events?: Record<string, number>;
  historyRecords?: number;
  /** The guarantees that did not hold in this run (src/local/invariants.ts); empty when all held. */
  invariantViolations: string[];
}

/** Every 5 virtual seconds: per colour of the primary app, desired capacity and healthy targets. */
export interface CapacitySample {
  t: number;
  colours: Record<string, { desired: number; healthy: number }>;
  /** eip: every server of the app, its EC2 state, whether it answers, whether it holds the address. */
  servers?: ServerSample[];
}

export interface ServerSample {
  id: string;
  version: string | null;
  state: string;
  serving: boolean;
  holdsAddress: boolean;
}

export interface SimulationResult {
  summary: Summary & Partial<CapacitySummary>;
  capacity: CapacitySample[];
  timeline: { t: number; text: string }[];
  world: World;
  executions: ExecutionRecord[];
  calls: SimTransport['calls'];
  traffic: Traffic;
  /** The scenario's fault rules and how often each fired. */
  faults: SimTransport['faults'];
  /** Every Lambda invocation: function, start, duration, cold, timed out. */
  lambda: LambdaService['invocations'];
  /** The greenlight config the scenario generated. */
  config: Config;
}

export function loadScenario(doc: unknown, source = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(doc);
  if (!parsed.success) throw new Error(`${source}: ${formatIssues(parsed.error.issues)}`);
  // A fault or a latency for a command the simulator does not answer would never fire: a typo.
  const known = simulatedCommands();
  const named = [
    ...parsed.data.faults.map((f, i) => [`faults[${i}].command`, f.command] as const),
    ...Object.keys(parsed.data.physics.apiLatency).map((c) => [`physics.apiLatency.${c}`, c] as const),
  ];
  for (const [field, command] of named)
    if (!known.has(command)) {
      const near = [...known].filter((k) => k.toLowerCase().includes(command.toLowerCase().slice(0, 6))).slice(0, 3);
      throw new Error(`${source}: ${field}: "${command}" is not a command the simulator answers${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
    }
  return parsed.data;
}

export function loadScenarioFile(path: string): Scenario {
  return loadScenario(parse(readFileSync(path, 'utf8')), path);
}

const QUIET_STATES = new Set([
  'WaitForGreen',
  'CheckGreen',
  'GreenReady?',
  'AlreadyLive?',
  'HasAction?',
  'MarkUnhealthy?',
  'WaitForCapacity',
  'CheckCapacity',
  'CapacityReady?',
  'Classify',
  'Mode?',
  'WaitForJoin',
  'JoinCheck',
  'Joined?',
  'WaitForDrain',
  'DrainCheck',
  'Drained?',
]);

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export interface SessionOptions {
  /**
   * Replace a function's handler (given the real one and its dependencies). For checks that must
   * fail: a deliberately broken step shows that an invariant or a test notices it.
   */
  wrap?: (fn: string, handler: Handler, deps: Deps) => Handler;
  /** Collects the IAM actions each function's calls asked for (function → actions). */
  observeIam?: Map<string, Set<string>>;
}

/** A running simulation: the account, the machines and the scheduler, before it is summarized. */
export type Session = ReturnType<typeof startSession>;

/** Run a scenario from start to finish and report on it. */
export async function simulate(scenario: Scenario, options: SessionOptions = {}): Promise<SimulationResult> {
  const session = startSession(scenario, options);
  const limitHit = await runToQuiet(session);
  return summarize(session, limitHit);
}

/** Build the simulated account and machines, and schedule the scenario's steps (nothing runs yet). */
export function startSession(scenario: Scenario, options: SessionOptions = {}) {
  const counters = { pending: 0, pendingRedrives: 0, lifecycleEvents: 0 };
  const clock = new VirtualClock(undefined, { seed: scenario.seed });
  // From here until summarize(), this clock is the process's: whatever the session starts (an
  // execution, an SDK retry) keeps time with it, driven or not.
  const uninstall = clock.install();
  let built: ReturnType<typeof buildWorld>;
  try {
    built = buildWorld(scenario, clock);
  } catch (err) {
    uninstall(); // a scenario that cannot be built leaves the process's timers as they were
    throw err;
  }
  const { world, config, listenerArn, hosts } = built;
  world.timeline.length = 0;
  for (const stale of scenario.staleLocks) {
    const now = Math.floor(clock.date().getTime() / 1000);
    world.dynamodb.putItem({
      TableName: SIM_TABLE,
      Item: lockItem(stale.app, {
        rev: 1,
        owner: `${RELEASE_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:crashed-release`,
        ownerSince: (now - 3600) * 1000,
        ownerVersion: 'crashed',
        leaseUntil: now + stale.leaseSecondsLeft,
        phase: 'running',
      }),
    });
    world.note(`${stale.app}: a crashed release holds the lock; its lease runs out in ${stale.leaseSecondsLeft} s`);
  }
  for (const a of scenario.alarms) world.ec2.alarms.set(a.name, { name: a.name, instanceId: null, state: a.state, failingSince: null, composite: a.composite });
  const procs = new Processes(clock);
  const timeouts = functionTimeouts();
  const lambda = new LambdaService(
    clock,
    { coldStartSeconds: scenario.physics.lambdaColdStartSeconds, durationSeconds: scenario.physics.lambdaDurationSeconds, idleSeconds: scenario.physics.lambdaIdleSeconds },
    (fn) => timeouts.byFunction[fn] ?? timeouts.default,
  );
  let crashArmed = !!scenario.crash;
  const sfn = new LocalStepFunctions(clock, procs, {
    invoke: (fn, run, meta) => lambda.invoke(fn, run, meta),
    onStarted: (exec) => {
      if (crashArmed && exec.stateMachineArn === RELEASE_STATE_MACHINE_ARN) {
        crashArmed = false;
        exec.crashAt = scenario.crash!.state;
      }
    },
    onFinished: (exec) => {
      if (exec.status !== 'ABORTED' || !scenario.crash || exec.stopRequest) return;
      world.note(`${exec.name}: died at ${exec.failedState?.name}; redrive in ${scenario.crash.redriveAfterSeconds} s`);
      counters.pendingRedrives++;
      clock.after(scenario.crash.redriveAfterSeconds, () => {
        counters.pendingRedrives--;
        world.note(`${exec.name}: redriven from ${exec.failedState?.name}`);
        sfn.redrive(exec.executionArn);
      });
    },
    onStateEntered: (exec, state) => {
      if (!QUIET_STATES.has(state)) world.note(`${exec.name}: ${state}`);
    },
  });
  const api = simApi(world, sfn);
  const transport = new SimTransport(api, clock, scenario.faults, { defaultSeconds: scenario.physics.apiLatencySeconds, commands: scenario.physics.apiLatency });
  // IAM: each function's calls are authorized against the statements the stack gives it.
  const names = { bucket: SIM_BUCKET, table: SIM_TABLE, topicArn: SIM_TOPIC, releaseStateMachineArn: RELEASE_STATE_MACHINE_ARN, capacityStateMachineArn: CAPACITY_STATE_MACHINE_ARN };
  // Each function has a role of its own (deploy/iam.cjs, from the calls in its bundle).
  const policies = functionPolicies(config, names);
  const removed = (st: { Sid?: string }) => !!st.Sid && scenario.iam.removeStatements.includes(st.Sid);
  transport.authorize = authorizer(world, (caller) => (policies.get(caller) ?? []).filter((st) => !removed(st)), options.observeIam);
  // Every write to an app's production route, with the lock's owner when it landed.
  const routeWrites: RouteWrite[] = [];
  /** Changes a person made to an app's route by hand (scenario steps). */
  const manualRouteChanges: { t: number; app: string }[] = [];
  const routeApps = new Map(
    Object.entries(config.apps)
      .filter(([, a]) => a.kind !== 'eip')
      .map(([name, a]) => [(a as { ruleArn?: string; listenerArn: string }).ruleArn ?? (a as { listenerArn: string }).listenerArn, name]),
  );
  transport.onWrite = (rec, input) => {
    if (rec.command !== 'ModifyListener' && rec.command !== 'ModifyRule') return;
    const arn = (input as { ListenerArn?: string; RuleArn?: string }).ListenerArn ?? (input as { RuleArn?: string }).RuleArn ?? '';
    const app = routeApps.get(arn);
    if (!app) return;
    const lock = lockOf(world.dynamodb.getItem({ TableName: SIM_TABLE, Key: lockKey(app) }).Item);
    routeWrites.push({ t: clock.now, started: rec.firstAttempt ?? rec.t, app, arn, caller: rec.caller, execution: rec.execution, lockOwner: lock.owner, actions: structuredClone((input as { DefaultActions?: Action[]; Actions?: Action[] }).DefaultActions ?? (input as { Actions?: Action[] }).Actions ?? []) });
  };
  const handlers = Object.fromEntries(
    Object.entries(FUNCTIONS).map(([name, mod]) => {
      const deps = simDeps({ world, clock, config, transport, caller: name, releaseStateMachineArn: RELEASE_STATE_MACHINE_ARN });
      const handler = mod.withDeps(deps) as Handler;
      return [name, options.wrap ? options.wrap(name, handler, deps) : handler];
    }),
  ) as Record<string, Handler>;
  sfn.register(RELEASE_STATE_MACHINE_ARN, loadDefinition('release'), handlers);
  sfn.register(CAPACITY_STATE_MACHINE_ARN, loadDefinition('capacity'), handlers);

  const bus = new EventBus(clock, scenario.eventDelaySeconds);
  for (const [name, pattern] of Object.entries(eventPatterns(config, SIM_BUCKET)))
    bus.putRule({
      name,
      pattern,
      target: (event) =>
        void procs.spawn(async () => {
          try {
            const r = (await lambda.invoke('dispatch', () => handlers.dispatch(event, { functionName: 'dispatch', awsRequestId: event.id }), { requestId: event.id })) as {
              started?: boolean;
              executionName?: string;
              ecr?: { app: string; key?: string; ignored?: string }[];
            };
            if (r.ecr) for (const x of r.ecr) world.note(x.ignored ? `ECR push ignored for ${x.app}: ${x.ignored}` : `ECR push → manifest ${x.key}`);
            else world.note(r.started ? `release execution ${r.executionName} started` : `duplicate delivery ignored (${r.executionName})`);
          } catch (err) {
            world.note(`dispatch failed: ${(err as Error).name}: ${(err as Error).message}`);
          }
        }),
    });
  world.onObjectCreated = (bucket, key, v) => bus.put(s3Event(world, bucket.name, key, v));

  // Lifecycle actions go to the capacity state machine (an EventBridge rule with a Step
  // Functions target: the execution gets a generated name), and a schedule reconciles.
  const lifecycle = lifecyclePattern(config);
  if (lifecycle) {
    bus.putRule({
      name: 'lifecycle',
      pattern: lifecycle,
      target: (event) => {
        sfn.startExecution({ stateMachineArn: CAPACITY_STATE_MACHINE_ARN, input: JSON.stringify(event) });
      },
    });
    const every = config.reconcileMinutes * 60;
    const tick = () => {
      sfn.startExecution({ stateMachineArn: CAPACITY_STATE_MACHINE_ARN, input: JSON.stringify({ action: 'reconcile' }) });
      clock.after(every, tick);
    };
    clock.after(every, tick);
  }
  // Status alarms of eip apps start the release machine, which replaces the faulty server.
  const alarm = alarmPattern(config);
  if (alarm)
    bus.putRule({
      name: 'status-alarm',
      pattern: alarm,
      target: (event) => {
        const r = sfn.startExecution({ stateMachineArn: RELEASE_STATE_MACHINE_ARN, input: JSON.stringify(event) });
        world.note(`replacement execution ${r.executionArn.split(':').pop()} started by ${(event.detail as { alarmName: string }).alarmName}`);
      },
    });
  // Guard alarms of asg/ecs apps invoke the guard function (asynchronously, as EventBridge does:
  // if it fails, Lambda retries it after 1 minute, then after 2 more).
  const guard = guardPattern(config);
  if (guard)
    bus.putRule({
      name: 'guard',
      pattern: guard,
      target: (event) => {
        const invoke = (attempt: number) =>
          void procs.spawn(async () => {
            try {
              const requestId = `${event.id}-${attempt}`;
              const r = (await lambda.invoke('guard', () => handlers.guard(event, { functionName: 'guard', awsRequestId: requestId }), { requestId })) as { app: string; action: string; detail: string }[];
              for (const x of r) world.note(`guard ${(event.detail as { alarmName: string }).alarmName}: ${x.app} ${x.action}: ${x.detail}`);
            } catch (err) {
              world.note(`guard failed (attempt ${attempt + 1}): ${(err as Error).name}: ${(err as Error).message}`);
              if (attempt < 2) {
                // Lambda's asynchronous retry: pending work, the run is not over before it.
                counters.pendingRedrives++;
                clock.after(attempt === 0 ? 60 : 120, () => {
                  counters.pendingRedrives--;
                  invoke(attempt + 1);
                });
              }
            }
          });
        invoke(0);
      },
    });
  world.ec2.onAlarm = (a, previous) =>
    bus.put({
      version: '0',
      id: hexId(`alarm-${a.name}-${clock.now}`, 32),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: ACCOUNT,
      time: clock.date().toISOString(),
      region: REGION,
      resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${a.name}`],
      detail: {
        alarmName: a.name,
        state: { value: a.state, reason: 'Threshold Crossed' },
        previousState: { value: previous },
        configuration: {
          metrics: [
            a.instanceId
              ? { id: 'm1', metricStat: { metric: { namespace: 'AWS/EC2', name: 'StatusCheckFailed', dimensions: { InstanceId: a.instanceId } }, period: 60, stat: 'Maximum' }, returnData: true }
              : { id: 'm1', metricStat: { metric: { namespace: 'AWS/ApplicationELB', name: 'HTTPCode_Target_5XX_Count', dimensions: {} }, period: 60, stat: 'Sum' }, returnData: true },
          ],
        },
      },
    });
  world.onLifecycleEvent = (e) => {
    counters.lifecycleEvents++;
    bus.put({ version: '0', id: hexId(`lc-${counters.lifecycleEvents}`, 32), source: 'aws.autoscaling', account: ACCOUNT, time: clock.date().toISOString(), region: REGION, ...e });
  };

  const traffic = new Traffic(
    world,
    clock,
    scenario.apps.map((a) => {
      const c = config.apps[a.name];
      return { app: a.name, listenerArn, host: hosts.get(a.name)!, path: a.requestPath, requestsPerSecond: a.requestsPerSecond, ...(c.kind === 'eip' ? { allocationId: c.allocationId } : {}) };
    }),
  );
  traffic.start();
  const capacity: CapacitySample[] = [];
  const sample = () => {
    const name = primaryApp(scenario);
    const a = config.apps[name];
    if (a && a.kind !== 'eip') {
      const colours: CapacitySample['colours'] = {};
      for (const c of ['blue', 'green'] as const) {
        const side = a[c];
        const tg = world.targetGroups.get(side.targetGroupArn);
        const healthy = tg ? [...tg.targets.values()].filter((t) => t.state === 'healthy').length : 0;
        const desired = 'serviceName' in side ? world.ecs.service(side.cluster, side.serviceName).desiredCount : world.groups.get(side.autoScalingGroupName!)?.desired ?? 0;
        colours[c] = { desired, healthy };
      }
      capacity.push({ t: clock.now, colours });
    } else if (a) {
      const holder = world.ec2.address(a.allocationId).instanceId;
      const servers = [...world.instances.values()]
        .filter((i) => i.group === null && i.tags?.['greenlight:app'] === name && (i.state !== 'terminated' || (i.terminatedAt ?? 0) > clock.now - 5))
        .map((i) => ({ id: i.id, version: i.version, state: i.state, serving: world.serving(i.id), holdsAddress: i.id === holder }));
      capacity.push({ t: clock.now, colours: {}, servers });
    }
    if (!traffic.stopped) clock.after(5, sample);
  };
  sample();

  const primary = primaryApp(scenario);
  const uploads = (scenario.steps.filter((st) => 'upload' in st && st.upload.app === primary) as Extract<Scenario['steps'][number], { upload: unknown }>[]).sort((a, b) => a.at - b.at);
  // Several uploads: the newest is the one that should end live. One upload after other steps
  // (e.g. a pre-warm): that upload is the release measured.
  const newest = uploads.length > 1 ? uploads[uploads.length - 1] : undefined;
  const measured = newest ?? (uploads.length === 1 && scenario.steps[0] && !('upload' in scenario.steps[0]) ? uploads[0] : undefined);
  const uploadAt = measured ? measured.at : Math.min(...scenario.steps.map((s) => s.at));
  const uploadedVersion = measured ? measured.upload.version : primaryVersion(scenario);
  const others = scenario.apps.filter((a) => a.name !== primary).map((a) => a.name);
  const before = snapshot(world, config, others);

  counters.pending = scenario.steps.length;
  for (const step of scenario.steps) {
    clock.at(step.at, () => {
      counters.pending--;
      if ('upload' in step) {
        const app = scenario.apps.find((a) => a.name === step.upload.app);
        if (!app) throw new Error(`scenario ${scenario.name}: upload for unknown app ${step.upload.app}`);
        bus.duplicateNext += step.upload.deliveries - 1;
        if (step.upload.lateSeconds) bus.lateNext.push(step.upload.lateSeconds);
        if (step.upload.again) reuploadArtifact(world, app, step.upload.version);
        else uploadArtifact(world, app, step.upload.version, step.upload.environment);
      } else if ('failInstance' in step) {
        const c = config.apps[step.failInstance.app];
        if (c?.kind === 'ecs' || !c) throw new Error(`scenario: failInstance needs an eip or asg app, not ${step.failInstance.app}`);
        // eip: the live server; asg: the instance of the first alarm the app names.
        const target = c.kind === 'eip' ? world.ec2.address(c.allocationId).instanceId : world.ec2.alarms.get(c.replaceOnAlarms[0] ?? '')?.instanceId;
        if (!target) throw new Error(`scenario: ${step.failInstance.app} has no instance to fail (asg apps need replaceOnAlarms)`);
        world.ec2.impair(world.instances.get(target)!);
      } else if ('scale' in step) {
        const { app, colour, desired, dropEvents, failJoin } = step.scale;
        const group = world.groups.has(`${app}-${colour}-capacity`) ? `${app}-${colour}-capacity` : `${app}-${colour}`;
        if (dropEvents) bus.dropNext.set('lifecycle', (bus.dropNext.get('lifecycle') ?? 0) + dropEvents);
        if (failJoin) world.ecs.failJoinNext.set(group, (world.ecs.failJoinNext.get(group) ?? 0) + failJoin);
        const g = world.group(group);
        world.updateGroup(group, { desired, min: Math.min(g.min, desired), max: Math.max(g.max, desired) });
      } else if ('ecrPush' in step) {
        const { repository, tag } = step.ecrPush;
        const digest = `sha256:${hexId(`ecr-${repository}-${tag}`, 64)}`;
        world.ecs.images.set(`${REGISTRY}/${repository}@${digest}`, tag);
        world.note(`ECR push ${repository}:${tag}`);
        bus.put({
          version: '0',
          id: hexId(`ecr-event-${repository}-${tag}`, 32),
          'detail-type': 'ECR Image Action',
          source: 'aws.ecr',
          account: ACCOUNT,
          time: clock.date().toISOString(),
          region: REGION,
          resources: [],
          detail: { result: 'SUCCESS', 'repository-name': repository, 'image-digest': digest, 'action-type': 'PUSH', 'image-tag': tag },
        });
      } else if ('uploadRaw' in step) {
        const { storedSha256 } = step.uploadRaw;
        world.putObject(SIM_BUCKET, step.uploadRaw.key, Buffer.from(step.uploadRaw.body), step.uploadRaw.checksum, storedSha256);
      } else if ('approve' in step) {
        const { app, decision } = step.approve;
        const deps = simDeps({ world, clock, config, transport, caller: 'operator', releaseStateMachineArn: RELEASE_STATE_MACHINE_ARN });
        void procs.spawn(async () => {
          try {
            const r = await answerApproval(deps, app, decision, 'operator (scenario)');
            world.note(r ? `operator: ${decision} ${app} ${r.version}` : `operator: ${decision} ${app}: nothing waits for approval`);
          } catch (err) {
            // The operator's command failed (e.g. an injected fault): it says so, as the CLI would.
            world.note(`operator: ${decision} ${app} failed: ${(err as Error).name}: ${(err as Error).message}`);
          }
        });
      } else if ('setRoute' in step) {
        const a = config.apps[step.setRoute.app];
        if (!a || a.kind === 'eip') throw new Error(`scenario: setRoute needs an asg or ecs app, not ${step.setRoute.app}`);
        const { colour, share } = step.setRoute;
        const tg = a[colour].targetGroupArn;
        const rest = a[colour === 'blue' ? 'green' : 'blue'].targetGroupArn;
        const groups = share >= 100 ? [{ TargetGroupArn: tg, Weight: 1 }] : [{ TargetGroupArn: tg, Weight: share }, { TargetGroupArn: rest, Weight: 100 - share }];
        const actions = [{ Type: 'forward', ForwardConfig: { TargetGroups: groups } }];
        world.note(`an operator points ${step.setRoute.app}'s route at ${colour}${share < 100 ? ` (${share}%)` : ''} by hand`);
        manualRouteChanges.push({ t: clock.now, app: step.setRoute.app });
        if (a.ruleArn) api.elbv2.ModifyRuleCommand({ RuleArn: a.ruleArn, Actions: actions });
        else api.elbv2.ModifyListenerCommand({ ListenerArn: a.listenerArn, DefaultActions: actions });
      } else if ('failTargets' in step) {
        const a = config.apps[step.failTargets.app];
        if (!a || a.kind === 'eip') throw new Error(`scenario: failTargets needs an asg or ecs app, not ${step.failTargets.app}`);
        const tg = world.targetGroup(a[step.failTargets.colour].targetGroupArn);
        const ids = [...tg.targets.keys()];
        const n = Math.ceil(ids.length * step.failTargets.share - 1e-9);
        for (const id of ids.slice(0, n)) {
          world.hung.add(id);
          const t = tg.targets.get(id)!;
          if (step.failTargets.immediate && t.state !== 'draining') Object.assign(t, { state: 'unhealthy', reason: 'Target.FailedHealthChecks' });
        }
        world.note(`${n} of ${ids.length} ${tg.name} targets stop answering`);
      } else if ('setAlarm' in step) {
        world.ec2.setAlarm(step.setAlarm.name, step.setAlarm.state);
      } else if ('startRelease' in step) {
        const r = sfn.startExecution({ stateMachineArn: RELEASE_STATE_MACHINE_ARN, input: JSON.stringify(step.startRelease.input) });
        world.note(`execution started by hand: ${r.executionArn.split(':').pop()}`);
      }
    });
  }

  const initialLive = liveColourOf(world, config, primary);
  const primaryConfig = config.apps[primary];
  const initialSize = primaryConfig.kind === 'eip' ? 1 : initialLive === 'blue' || initialLive === 'green' ? desired(world, primaryConfig, initialLive) : 0;
  return { uninstall, routeWrites, manualRouteChanges, initialSize, capacity, initialLive, scenario, clock, world, config, procs, sfn, lambda, transport, traffic, bus, lifecycle, counters, primary, uploads, newest, uploadAt, uploadedVersion, others, before };
}

/**
 * Advance virtual time until the scenario's steps have run and everything is quiet (or `until`
 * seconds). Returns true when the limit stopped it with work still running.
 */
export async function runToQuiet(session: Session, until?: number): Promise<boolean> {
  const { scenario, procs, clock, counters } = session;
  const tail = Math.max(...scenario.apps.map((a) => a.deregistrationDelaySeconds)) + scenario.eventDelaySeconds + 10;
  let quietSince: number | undefined;
  await procs.runUntil(() => {
    if (until !== undefined) return clock.now >= until;
    if (counters.pending > 0 || procs.active > 0 || counters.pendingRedrives > 0) {
      quietSince = undefined;
      return false;
    }
    quietSince ??= clock.now;
    return clock.now >= quietSince + tail && clock.now >= scenario.minSeconds;
  }, scenario.limitSeconds);
  return until === undefined && (counters.pending > 0 || procs.active > 0);
}

/** The scenario's report: outcome, time to live against the physical limit, calls, transitions. */
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

/**
 * Build and upload a release of `version`: an AMI and its manifest, an image in the registry and
 * its manifest, or a bundle. With `announce` false the bucket's EventBridge notification is not
 * sent (the artifact is staged, nothing starts).
 */
export function uploadArtifact(world: World, app: Scenario['apps'][number], version: string, environment?: Record<string, Record<string, string>>, announce = true): string {
  const bucket = world.buckets.get(SIM_BUCKET)!;
  const wasOn = bucket.eventBridge;
  bucket.eventBridge = announce && wasOn;
  try {
    if (app.kind === 'ecs') {
      const image = pushImage(world, app.name, version);
      const manifest = { version, images: { [app.containers[0]]: image }, ...(environment ? { environment } : {}) };
      world.putObject(SIM_BUCKET, `releases/${app.name}/${version}.json`, Buffer.from(JSON.stringify(manifest)));
      return `releases/${app.name}/${version}.json`;
    }
    if (app.artifact === 'ami') {
      const img = world.registerImage(version, `${app.name}-${version}`);
      world.putObject(SIM_BUCKET, `releases/${app.name}/${version}.json`, Buffer.from(JSON.stringify({ version, imageId: img.imageId })));
      return `releases/${app.name}/${version}.json`;
    }
    world.putObject(SIM_BUCKET, `releases/${app.name}/${version}.tar.gz`, Buffer.from(`bundle ${app.name} ${version}`));
    return `releases/${app.name}/${version}.tar.gz`;
  } finally {
    bucket.eventBridge = wasOn;
  }
}

/** CI uploads the same artifact again: the same bytes at the same key, a new S3 object version. */
function reuploadArtifact(world: World, app: Scenario['apps'][number], version: string): void {
  const keys = [`releases/${app.name}/${version}.json`, `releases/${app.name}/${version}.tar.gz`];
  const key = keys.find((k) => world.buckets.get(SIM_BUCKET)!.objects.has(k));
  if (!key) throw new Error(`scenario: upload again of ${app.name} ${version}, which was never uploaded`);
  world.putObject(SIM_BUCKET, key, world.getObject(SIM_BUCKET, key).body);
}

/** States in which a release execution changes (or may change) the app's infrastructure. */
/** Seconds from `from` until the app's route first sends everything to `colour` again (null: never). */
function rollbackLatency(world: World, config: Config, app: string, colour: string, from: number): number | null {
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
  const changes = world.routeChanges.filter((c) => c.arn === arn);
  const inForce = changes.filter((c) => c.t <= from).pop();
  const after = changes.filter((c) => c.t > from);
  const lastAway = [...(inForce && !back(inForce.actions) ? [inForce] : []), ...after.filter((c) => !back(c.actions))].pop();
  if (!lastAway) return 0;
  const change = after.find((c) => c.t >= lastAway.t && back(c.actions));
  return change ? Math.round((change.t - from) * 100) / 100 : null;
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** The live colour's service count against tasksPerInstance × joined instances. */
function capacitySummary(world: World, config: Config, app: string, awsCalls: number, events: number, dropped: number, executions: ExecutionRecord[]): CapacitySummary {
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

function primaryApp(s: Scenario): string {
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

function primaryVersion(s: Scenario): string | null {
  const step = s.steps[0];
  if (!step) return null;
  if ('ecrPush' in step) return step.ecrPush.tag;
  if ('upload' in step) return step.upload.version;
  if ('startRelease' in step && typeof step.startRelease.input.version === 'string') return step.startRelease.input.version;
  return null;
}

function outcomeOf(e: ExecutionRecord | undefined): { outcome: Outcome; reason: string | null } {
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
function recoveredAfter(seconds: { t: number; total: number; failed: number }[], from: number): number | null {
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
function timeToLive(seconds: { t: number; total: number; versions: Record<string, number> }[], version: string, from: number): number | null {
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
function fromRouteChange(sampled: number, from: number, writes: RouteWrite[], calls: CallRecord[]): number {
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

function lastVersion(seconds: { versions: Record<string, number> }[]): string | null {
  const last = seconds[seconds.length - 1];
  if (!last) return null;
  const top = Object.entries(last.versions).sort((a, b) => b[1] - a[1])[0];
  return top ? top[0] : null;
}

function liveColourOf(world: World, config: Config, app: string): string {
  const a = config.apps[app];
  if (a.kind === 'eip') return world.ec2.address(a.allocationId).instanceId ?? 'none';
  const f = world.describeActions(routeActions(world, a)).find((x) => x.Type === 'forward');
  const live = (f?.ForwardConfig?.TargetGroups ?? []).filter((g) => (g.Weight ?? 0) > 0).map((g) => g.TargetGroupArn);
  const colours = live.map((tg) => (tg === a.blue.targetGroupArn ? 'blue' : tg === a.green.targetGroupArn ? 'green' : 'other'));
  return colours.length === 1 ? colours[0] : colours.length ? `split(${colours.join('+')})` : 'none';
}

/** Everything greenlight could change for the given apps: routes, groups, target registrations. */
function snapshot(world: World, config: Config, apps: string[]): Map<string, string> {
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
function routeActions(world: World, a: { listenerArn: string; ruleArn?: string }) {
  return a.ruleArn ? world.rule(a.ruleArn).actions : world.listener(a.listenerArn).defaultActions;
}

function countChanged(a: Map<string, string>, b: Map<string, string>): number {
  let n = 0;
  for (const [k, v] of a) if (b.get(k) !== v) n++;
  return n;
}

function s3Event(world: World, bucket: string, key: string, v: { versionId: string; body: Buffer; etag: string; sequencer: string }): BusEvent {
  return {
    version: '0',
    id: hexId(`event-${key}-${v.versionId}`, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: ACCOUNT,
    time: world.clock.date().toISOString(),
    region: REGION,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: v.body.length, etag: v.etag.replace(/"/g, ''), 'version-id': v.versionId, sequencer: v.sequencer },
      'request-id': hexId(`req-${v.versionId}`, 16).toUpperCase(),
      requester: ACCOUNT,
      'source-ip-address': '203.0.113.10',
      reason: 'PutObject',
    },
  };
}

export { busySpans, interleavedPairs } from './invariants.js';
