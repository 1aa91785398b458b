import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { lockItem, } from '../aws/dynamodb.js';
import type { Config } from '../core/config.js';
import { formatIssues } from '../core/text.js';
import { simApi, simulatedCommands } from '../sim/api.js';
import { buildWorld, SIM_BUCKET, SIM_TABLE, SIM_TOPIC } from '../sim/build.js';
import { VirtualClock } from '../sim/clock.js';
import { LambdaService } from '../sim/lambda.js';
import { type Scenario, ScenarioSchema } from '../sim/scenario.js';
import { type Responses, Traffic } from '../sim/traffic.js';
import type { World } from '../sim/world.js';
import type { Deps } from '../steps/deps.js';
import { CAPACITY_STATE_MACHINE_ARN, functionTimeouts, loadDefinition, RELEASE_STATE_MACHINE_ARN } from './definitions.js';
import { simDeps } from './deps.js';
import { FUNCTIONS } from './functions.js';
import { authorizer, functionPolicies } from './iam-policy.js';
import { desired, } from './invariants.js';
import { Processes } from './processes.js';
import { scheduleSteps } from './scenario-steps.js';
import { type ExecutionRecord, LocalStepFunctions } from './stepfunctions.js';
import { liveColourOf, primaryApp, primaryVersion, snapshot, summarize } from './summary.js';
import { SimTransport } from './transport.js';
import { recordRouteWrites, sampleCapacity, wireEvents } from './wiring.js';

// One scenario, end to end: the S3 upload, EventBridge, the dispatch Lambda, the release state
// machine and its real handlers, the simulated account and a synthetic client, in virtual time.

export { CAPACITY_STATE_MACHINE_ARN, RELEASE_STATE_MACHINE_ARN } from './definitions.js';
export { uploadArtifact } from './scenario-steps.js';

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

/**
 * Build the simulated account and machines, and schedule the scenario's steps (nothing runs yet).
 * Long: the account assembled in dependency order (clock, world, Lambda, Step Functions, transport and IAM, handlers, events, traffic, steps); each piece is built elsewhere (wiring.ts, scenario-steps.ts) and only joined here.
 */
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
  const { routeWrites, manualRouteChanges } = recordRouteWrites(world, config, transport, clock);
  const handlers = Object.fromEntries(
    Object.entries(FUNCTIONS).map(([name, mod]) => {
      const deps = simDeps({ world, clock, config, transport, caller: name, releaseStateMachineArn: RELEASE_STATE_MACHINE_ARN });
      const handler = mod.withDeps(deps) as Handler;
      return [name, options.wrap ? options.wrap(name, handler, deps) : handler];
    }),
  ) as Record<string, Handler>;
  sfn.register(RELEASE_STATE_MACHINE_ARN, loadDefinition('release'), handlers);
  sfn.register(CAPACITY_STATE_MACHINE_ARN, loadDefinition('capacity'), handlers);

  const { bus, lifecycle } = wireEvents({ scenario, world, config, clock, sfn, procs, lambda, handlers, counters });

  const traffic = new Traffic(
    world,
    clock,
    scenario.apps.map((a) => {
      const c = config.apps[a.name];
      return { app: a.name, listenerArn, host: hosts.get(a.name)!, path: a.requestPath, requestsPerSecond: a.requestsPerSecond, ...(c.kind === 'eip' ? { allocationId: c.allocationId } : {}) };
    }),
    responsesOf(scenario),
    scenario.seed,
  );
  world.targetMetrics = traffic.metrics;
  world.metricDelaySeconds = scenario.metricDelaySeconds;
  traffic.start();
  const capacity = sampleCapacity(world, config, clock, primaryApp(scenario), traffic);

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
  scheduleSteps({ scenario, world, config, clock, bus, sfn, api, transport, procs, manualRouteChanges }, () => counters.pending--);

  const initialLive = liveColourOf(world, config, primary);
  const primaryConfig = config.apps[primary];
  const initialSize = primaryConfig.kind === 'eip' ? 1 : initialLive === 'blue' || initialLive === 'green' ? desired(world, primaryConfig, initialLive) : 0;
  return { uninstall, routeWrites, manualRouteChanges, initialSize, capacity, initialLive, scenario, clock, world, config, procs, sfn, lambda, transport, traffic, bus, lifecycle, counters, primary, uploads, newest, uploadAt, uploadedVersion, others, before };
}

/**
 * Advance virtual time until the scenario's steps have run and everything is quiet (or `until`
 * seconds). Returns true when the limit stopped it with work still running.
 */
/** How a version's targets answer (the scenario's `responses`, a version's own values first). */
function responsesOf(scenario: Scenario): (version: string) => Responses {
  const { versions, ...base } = scenario.responses;
  const byVersion = new Map(versions.map(({ version, ...r }) => [version, { ...base, ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) }]));
  return (version) => byVersion.get(version) ?? base;
}

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

export { busySpans, interleavedPairs } from './invariants.js';
export { configuredBakes, greenReadyBound, summarize } from './summary.js';
