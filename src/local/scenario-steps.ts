import type { Config } from '../core/config.js';
import { pushImage, REGISTRY, SIM_BUCKET } from '../sim/build.js';
import type { VirtualClock } from '../sim/clock.js';
import type { EventBus } from '../sim/eventbridge.js';
import type { Scenario } from '../sim/scenario.js';
import { ACCOUNT, hexId, REGION, type World } from '../sim/world.js';
import { answerApproval } from '../steps/approval.js';
import { RELEASE_STATE_MACHINE_ARN } from './definitions.js';
import { simDeps } from './deps.js';
import type { Processes } from './processes.js';
import type { LocalStepFunctions } from './stepfunctions.js';
import type { ApiTable, SimTransport } from './transport.js';

// A scenario's steps (scenarios/*.yml, schema in src/sim/scenario.ts): what each kind of step
// does to the simulated account when its time comes. One entry per kind; a step kind the schema
// adds without an entry here does not compile.

type Step = Scenario['steps'][number];
type KeysOf<T> = T extends unknown ? keyof T : never;
type StepKind = Exclude<KeysOf<Step>, 'at'> & string;
type StepOf<K extends string> = Extract<Step, Record<K, unknown>>;

/** What a step may act on. */
export interface StepContext {
  scenario: Scenario;
  world: World;
  config: Config;
  clock: VirtualClock;
  bus: EventBus;
  sfn: LocalStepFunctions;
  api: ApiTable;
  transport: SimTransport;
  procs: Processes;
  /** Changes a person made to an app's route by hand. */
  manualRouteChanges: { t: number; app: string }[];
}

const STEPS: { [K in StepKind]: (s: StepContext, step: StepOf<K>) => void } = {
  /** An upload of a version to the artifact bucket (its S3 event may be duplicated or late). */
  upload: (s, step) => {
    const { scenario, world, bus } = s;
    const app = scenario.apps.find((a) => a.name === step.upload.app);
    if (!app) throw new Error(`scenario ${scenario.name}: upload for unknown app ${step.upload.app}`);
    bus.duplicateNext += step.upload.deliveries - 1;
    if (step.upload.lateSeconds) bus.lateNext.push(step.upload.lateSeconds);
    if (step.upload.again) reuploadArtifact(world, app, step.upload.version);
    else uploadArtifact(world, app, step.upload.version, step.upload.environment);
  },
  /** The live server of an eip app (or an asg instance an alarm watches) fails its status check. */
  failInstance: (s, step) => {
    const { world, config } = s;
    const c = config.apps[step.failInstance.app];
    if (c?.kind === 'ecs' || !c) throw new Error(`scenario: failInstance needs an eip or asg app, not ${step.failInstance.app}`);
    // eip: the live server; asg: the instance of the first alarm the app names.
    const target = c.kind === 'eip' ? world.ec2.address(c.allocationId).instanceId : world.ec2.alarms.get(c.replaceOnAlarms[0] ?? '')?.instanceId;
    if (!target) throw new Error(`scenario: ${step.failInstance.app} has no instance to fail (asg apps need replaceOnAlarms)`);
    world.ec2.impair(world.instances.get(target)!);
  },
  /** A colour's Auto Scaling group is scaled (its lifecycle events may be lost, its instances may never join). */
  scale: (s, step) => {
    const { world, bus } = s;
    const { app, colour, desired, dropEvents, failJoin } = step.scale;
    const group = world.groups.has(`${app}-${colour}-capacity`) ? `${app}-${colour}-capacity` : `${app}-${colour}`;
    if (dropEvents) bus.dropNext.set('lifecycle', (bus.dropNext.get('lifecycle') ?? 0) + dropEvents);
    if (failJoin) world.ecs.failJoinNext.set(group, (world.ecs.failJoinNext.get(group) ?? 0) + failJoin);
    const g = world.group(group);
    world.updateGroup(group, { desired, min: Math.min(g.min, desired), max: Math.max(g.max, desired) });
  },
  /** CI pushes an image to ECR: the registry holds it, and ECR's event goes to EventBridge. */
  ecrPush: (s, step) => {
    const { world, bus, clock } = s;
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
  },
  /** An object put as given (a bad key, a corrupted body, a wrong checksum). */
  uploadRaw: (s, step) => {
    const { world } = s;
    const { storedSha256 } = step.uploadRaw;
    world.s3.putObject(SIM_BUCKET, step.uploadRaw.key, Buffer.from(step.uploadRaw.body), step.uploadRaw.checksum, storedSha256);
  },
  /** An operator answers the approval gate, as `greenlight promote` / `abort` would. */
  approve: (s, step) => {
    const { world, config, clock, transport, procs } = s;
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
  },
  /** An operator points an app's route at a colour by hand. */
  setRoute: (s, step) => {
    const { world, config, clock, api, manualRouteChanges } = s;
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
  },
  /** A share of a colour's targets stop answering (they fail their health checks). */
  failTargets: (s, step) => {
    const { world, config } = s;
    const a = config.apps[step.failTargets.app];
    if (!a || a.kind === 'eip') throw new Error(`scenario: failTargets needs an asg or ecs app, not ${step.failTargets.app}`);
    const tg = world.elb.targetGroup(a[step.failTargets.colour].targetGroupArn);
    const ids = [...tg.targets.keys()];
    const n = Math.ceil(ids.length * step.failTargets.share - 1e-9);
    for (const id of ids.slice(0, n)) {
      world.hung.add(id);
      const t = tg.targets.get(id)!;
      if (step.failTargets.immediate && t.state !== 'draining') Object.assign(t, { state: 'unhealthy', reason: 'Target.FailedHealthChecks' });
    }
    world.note(`${n} of ${ids.length} ${tg.name} targets stop answering`);
  },
  /** An alarm changes state. */
  setAlarm: (s, step) => {
    const { world } = s;
    world.ec2.setAlarm(step.setAlarm.name, step.setAlarm.state);
  },
  /** An execution started by hand with a typed input. */
  startRelease: (s, step) => {
    const { world, sfn } = s;
    const r = sfn.startExecution({ stateMachineArn: RELEASE_STATE_MACHINE_ARN, input: JSON.stringify(step.startRelease.input) });
    world.note(`execution started by hand: ${r.executionArn.split(':').pop()}`);
  },
};

/** The step's kind: its one key besides `at`. */
function kindOf(step: Step): StepKind {
  return Object.keys(step).find((k) => k !== 'at') as StepKind;
}

/** Schedule every step of the scenario at its time; `done` is called as each one runs. */
export function scheduleSteps(s: StepContext, done: () => void): void {
  for (const step of s.scenario.steps)
    s.clock.at(step.at, () => {
      done();
      const run = STEPS[kindOf(step)] as (s: StepContext, step: Step) => void;
      run(s, step);
    });
}

/**
 * Build and upload a release of `version`: an AMI and its manifest, an image in the registry and
 * its manifest, or a bundle. With `announce` false the bucket's EventBridge notification is not
 * sent (the artifact is staged, nothing starts).
 */
export function uploadArtifact(world: World, app: Scenario['apps'][number], version: string, environment?: Record<string, Record<string, string>>, announce = true): string {
  const bucket = world.s3.buckets.get(SIM_BUCKET)!;
  const wasOn = bucket.eventBridge;
  bucket.eventBridge = announce && wasOn;
  try {
    if (app.kind === 'ecs') {
      const image = pushImage(world, app.name, version);
      const manifest = { version, images: { [app.containers[0]]: image }, ...(environment ? { environment } : {}) };
      world.s3.putObject(SIM_BUCKET, `releases/${app.name}/${version}.json`, Buffer.from(JSON.stringify(manifest)));
      return `releases/${app.name}/${version}.json`;
    }
    if (app.artifact === 'ami') {
      const img = world.registerImage(version, `${app.name}-${version}`);
      world.s3.putObject(SIM_BUCKET, `releases/${app.name}/${version}.json`, Buffer.from(JSON.stringify({ version, imageId: img.imageId })));
      return `releases/${app.name}/${version}.json`;
    }
    world.s3.putObject(SIM_BUCKET, `releases/${app.name}/${version}.tar.gz`, Buffer.from(`bundle ${app.name} ${version}`));
    return `releases/${app.name}/${version}.tar.gz`;
  } finally {
    bucket.eventBridge = wasOn;
  }
}

/** CI uploads the same artifact again: the same bytes at the same key, a new S3 object version. */
export function reuploadArtifact(world: World, app: Scenario['apps'][number], version: string): void {
  const keys = [`releases/${app.name}/${version}.json`, `releases/${app.name}/${version}.tar.gz`];
  const key = keys.find((k) => world.s3.buckets.get(SIM_BUCKET)!.objects.has(k));
  if (!key) throw new Error(`scenario: upload again of ${app.name} ${version}, which was never uploaded`);
  world.s3.putObject(SIM_BUCKET, key, world.s3.getObject(SIM_BUCKET, key).body);
}
