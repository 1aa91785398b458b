import { lockKey, lockOf } from '../aws/dynamodb.js';
import type { Config } from '../core/config.js';
import { SIM_BUCKET, SIM_TABLE } from '../sim/build.js';
import type { VirtualClock } from '../sim/clock.js';
import type { BusEvent } from '../sim/eventbridge.js';
import { EventBus } from '../sim/eventbridge.js';
import type { LambdaService } from '../sim/lambda.js';
import type { Scenario } from '../sim/scenario.js';
import type { Traffic } from '../sim/traffic.js';
import { ACCOUNT, type Action, hexId, REGION, type World } from '../sim/world.js';
import { alarmPatterns, CAPACITY_STATE_MACHINE_ARN, eventPatterns, guardPatterns, lifecyclePatterns, RELEASE_STATE_MACHINE_ARN } from './definitions.js';
import type { RouteWrite } from './invariants.js';
import type { Processes } from './processes.js';
import type { CapacitySample } from './simulate.js';
import type { LocalStepFunctions } from './stepfunctions.js';
import type { SimTransport } from './transport.js';

// How a simulated account is wired, as greenlight's stack wires the real one: the EventBridge
// rules (S3 uploads and ECR pushes to dispatch, lifecycle actions to the capacity machine,
// status alarms to a replacement, guard alarms to the guard), the events AWS services put on
// the bus, and what the run records for its report (route writes, capacity samples).

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export interface Counters {
  pending: number;
  pendingRedrives: number;
  lifecycleEvents: number;
}

export interface EventWiring {
  scenario: Scenario;
  world: World;
  config: Config;
  clock: VirtualClock;
  sfn: LocalStepFunctions;
  procs: Processes;
  lambda: LambdaService;
  handlers: Record<string, Handler>;
  counters: Counters;
}

/** The stack's EventBridge rules and the services' events, on one bus. */
export function wireEvents(w: EventWiring) {
  const bus = new EventBus(w.clock, w.scenario.eventDelaySeconds);
  wireUploads(w, bus);
  const lifecycle = wireCapacityAndReplacement(w, bus);
  wireGuard(w, bus);
  wireServiceEvents(w, bus);
  return { bus, lifecycle };
}

/** S3 uploads (and ECR pushes) go to the dispatch function, which starts the release. */
function wireUploads(w: EventWiring, bus: EventBus): void {
  const { world, config, procs, lambda, handlers } = w;
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
  world.s3.onObjectCreated = (bucket, key, v) => bus.put(s3Event(world, bucket.name, key, v));
}

/** Lifecycle actions to the capacity machine (and its reconcile schedule); eip status alarms to a replacement. */
function wireCapacityAndReplacement(w: EventWiring, bus: EventBus) {
  const { world, config, clock, sfn } = w;

  // Lifecycle actions go to the capacity state machine (an EventBridge rule with a Step
  // Functions target: the execution gets a generated name), and a schedule reconciles.
  // One rule per pattern (deploy/events.cjs splits long lists to fit EventBridge's pattern size).
  const lifecycle = lifecyclePatterns(config);
  for (const [k, pattern] of lifecycle.entries())
    bus.putRule({
      name: k ? `lifecycle-${k}` : 'lifecycle',
      pattern,
      target: (event) => {
        sfn.startExecution({ stateMachineArn: CAPACITY_STATE_MACHINE_ARN, input: JSON.stringify(event) });
      },
    });
  if (lifecycle.length) {
    const every = config.reconcileMinutes * 60;
    const tick = () => {
      sfn.startExecution({ stateMachineArn: CAPACITY_STATE_MACHINE_ARN, input: JSON.stringify({ action: 'reconcile' }) });
      clock.after(every, tick);
    };
    clock.after(every, tick);
  }
  // Status alarms of eip apps start the release machine, which replaces the faulty server.
  for (const [k, pattern] of alarmPatterns(config).entries())
    bus.putRule({
      name: k ? `status-alarm-${k}` : 'status-alarm',
      pattern,
      target: (event) => {
        const r = sfn.startExecution({ stateMachineArn: RELEASE_STATE_MACHINE_ARN, input: JSON.stringify(event) });
        world.note(`replacement execution ${r.executionArn.split(':').pop()} started by ${(event.detail as { alarmName: string }).alarmName}`);
      },
    });
  return lifecycle.length ? lifecycle : null;
}

function wireGuard(w: EventWiring, bus: EventBus): void {
  const { world, config, clock, procs, lambda, handlers, counters } = w;
  // Guard alarms of asg/ecs apps invoke the guard function (asynchronously, as EventBridge does:
  // if it fails, Lambda retries it after 1 minute, then after 2 more).
  for (const [k, pattern] of guardPatterns(config).entries())
    bus.putRule({
      name: k ? `guard-${k}` : 'guard',
      pattern,
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
}

/** What AWS services put on the bus themselves: CloudWatch alarm state changes, Auto Scaling lifecycle actions. */
function wireServiceEvents(w: EventWiring, bus: EventBus): void {
  const { world, clock, counters } = w;
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
}

/** Every write to an app's production route, with the lock's owner when it landed. */
export function recordRouteWrites(world: World, config: Config, transport: SimTransport, clock: VirtualClock) {
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
  return { routeWrites, manualRouteChanges };
}

/** Every 5 virtual seconds while traffic runs: the primary app's capacity per colour (eip: its servers). */
export function sampleCapacity(world: World, config: Config, clock: VirtualClock, name: string, traffic: Traffic): CapacitySample[] {
  const capacity: CapacitySample[] = [];
  const sample = () => {
    const a = config.apps[name];
    if (a && a.kind !== 'eip') {
      const colours: CapacitySample['colours'] = {};
      for (const c of ['blue', 'green'] as const) {
        const side = a[c];
        const tg = world.elb.targetGroups.get(side.targetGroupArn);
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
  return capacity;
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
