import { z } from 'zod';
import { VERSION } from '../core/artifact.js';
import { APP_NAME } from '../core/text.js';

// The scenario file format (YAML). Documented field by field in src/sim/README.md.

const healthCheck = z
  .object({
    intervalSeconds: z.number().int().min(5).max(300).default(30),
    healthyThresholdCount: z.number().int().min(2).max(10).default(5),
    unhealthyThresholdCount: z.number().int().min(2).max(10).default(2),
  })
  .strict();

const common = {
  name: z.string().regex(APP_NAME),
  /** listener: the app owns the listener's default action; rule: a host-header rule on the shared listener. */
  route: z.enum(['listener', 'rule']).default('listener'),
  host: z.string().optional(),
  /** route rule: its priority (default 10 × the app's position), and a path-pattern condition besides the host. */
  rulePriority: z.number().int().min(1).max(50_000).optional(),
  pathPattern: z.string().optional(),
  /** The path the synthetic client requests (default /). */
  requestPath: z.string().startsWith('/').default('/'),
  initialVersion: z.string().regex(VERSION).default('1.0.0'),
  live: z.enum(['blue', 'green']).default('blue'),
  healthCheck: healthCheck.default({ intervalSeconds: 30, healthyThresholdCount: 5, unhealthyThresholdCount: 2 }),
  deregistrationDelaySeconds: z.number().int().min(0).max(3600).default(300),
  requestsPerSecond: z.number().int().min(0).max(1000).default(10),
  /** Merged into this app's generated greenlight config (health, retire, onFailure). */
  greenlight: z.record(z.string(), z.unknown()).default({}),
  /** A test listener (its own port on the shared ALB) and the smoke checks greenlight runs through it. */
  testListener: z
    .object({ checks: z.array(z.record(z.string(), z.unknown())).min(1).default([{ path: '/health' }]) })
    .strict()
    .optional(),
  /** Or a test rule: a host-header rule on the production listener, ahead of the app's routes. */
  testRule: z
    .object({ host: z.string(), checks: z.array(z.record(z.string(), z.unknown())).min(1).default([{ path: '/health' }]) })
    .strict()
    .optional(),
};

const ecsApp = z
  .object({
    ...common,
    kind: z.literal('ecs'),
    capacity: z.enum(['fargate', 'ec2']),
    tasks: z.number().int().min(0).max(1000),
    /** ec2 capacity: instances in the live colour's group. */
    instances: z.number().int().min(0).max(500).optional(),
    instanceCpu: z.number().int().min(256).default(2048),
    instanceMemory: z.number().int().min(512).default(4096),
    taskCpu: z.number().int().min(128).default(512),
    taskMemory: z.number().int().min(128).default(1024),
    /** Container names; the manifest sets the first one's image. */
    containers: z.array(z.string()).min(1).default(['app']),
    /** Queue workers: a service per colour (<app>-worker-<colour>, no load balancer) with this many tasks on the live colour. */
    workers: z.number().int().min(0).max(100).optional(),
  })
  .strict();

/** asg and eip: what the launch template carries besides the artifact. */
const launchFields = {
  /** The launch template names this instance profile (its role: arn:aws:iam::<account>:role/<profile>-role). */
  instanceProfile: z.string().optional(),
  /** The launch template tags instances and volumes on launch (TagSpecifications). */
  launchTags: z.record(z.string(), z.string()).optional(),
};

const eipApp = z
  .object({
    ...common,
    ...launchFields,
    kind: z.literal('eip'),
    artifact: z.enum(['ami', 'bundle']).default('ami'),
  })
  .strict();

const asgApp = z
  .object({
    ...common,
    ...launchFields,
    kind: z.literal('asg').default('asg'),
    instances: z.number().int().min(1).max(500),
    artifact: z.enum(['ami', 'bundle']).default('ami'),
  })
  .strict();

const at = z.number().min(0);
const step = z.union([
  z
    .object({
      at,
      upload: z
        .object({
          app: z.string(),
          version: z.string(),
          deliveries: z.number().int().min(1).max(2).default(1),
          /** Upload the same artifact again (the same bytes as this version's last upload: a new S3 object version). */
          again: z.boolean().default(false),
          /** Its S3 event is delivered this many seconds late (after later uploads' events: out of order). */
          lateSeconds: z.number().min(0).max(3600).optional(),
          /** ecs: environment overrides in the manifest, by container. */
          environment: z.record(z.string(), z.record(z.string(), z.string())).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      at,
      /** An Auto Scaling policy (or a person) sets a colour's group to `desired`: an asg app's group, or an ECS app's capacity group. */
      scale: z
        .object({
          app: z.string(),
          colour: z.enum(['blue', 'green']),
          desired: z.number().int().min(0).max(1000),
          /** Lose the next N lifecycle events of this change (EventBridge delivery failure). */
          dropEvents: z.number().int().min(0).optional(),
          /** The next N launched instances never register with the cluster. */
          failJoin: z.number().int().min(0).optional(),
        })
        .strict(),
    })
    .strict(),
  /** The live server of an eip app fails its instance status check (and stops answering). */
  z.object({ at, failInstance: z.object({ app: z.string() }).strict() }).strict(),
  z.object({ at, ecrPush: z.object({ repository: z.string(), tag: z.string() }).strict() }).strict(),
  z
    .object({
      at,
      uploadRaw: z
        .object({
          key: z.string(),
          body: z.string(),
          checksum: z.boolean().default(true),
          /** The SHA-256 S3 keeps for the object, when it differs from the content (corrupted or tampered at rest). */
          storedSha256: z.string().optional(),
        })
        .strict(),
    })
    .strict(),
  z.object({ at, startRelease: z.object({ input: z.record(z.string(), z.unknown()) }).strict() }).strict(),
  /** An operator answers an approval gate (greenlight promote / abort). */
  z.object({ at, approve: z.object({ app: z.string(), decision: z.enum(['promote', 'abort']) }).strict() }).strict(),
  /** A person moves an app's production route by hand (the console): everything to one colour. */
  /** A person changes the production route by hand: all to `colour`, or `share` percent to it and the rest to the other colour. */
  z.object({ at, setRoute: z.object({ app: z.string(), colour: z.enum(['blue', 'green']), share: z.number().int().min(1).max(100).default(100) }).strict() }).strict(),
  /** A share of a colour's registered targets stop answering (after they passed their health checks); `immediate`: the load balancer marks them unhealthy at once. */
  z.object({ at, failTargets: z.object({ app: z.string(), colour: z.enum(['blue', 'green']), share: z.number().gt(0).max(1).default(1), immediate: z.boolean().default(false) }).strict() }).strict(),
  /** An app alarm changes state (emits CloudWatch Alarm State Change). */
  z.object({ at, setAlarm: z.object({ name: z.string(), state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']) }).strict() }).strict(),
]);

const fault = z
  .object({
    command: z.string().regex(/^[A-Z][A-Za-z0-9]+$/),
    kind: z.enum(['throttle', 'server-error', 'access-denied', 'crash', 'stale-read', 'delay', 'lambda-timeout']),
    times: z.number().int().min(1).max(1000),
    skip: z.number().int().min(0).optional(),
    /** Each matching call fails with this probability (seeded), up to `times`. */
    rate: z.number().gt(0).max(1).optional(),
    caller: z.string().optional(),
    seconds: z.number().min(0).max(600).optional(),
  })
  .strict();

/** Seconds per AWS API call: a default, and values per command (e.g. ModifyListener: 5). */
const apiLatency = z.record(z.string().regex(/^[A-Z][A-Za-z0-9]+$/), z.number().min(0).max(600));

export const ScenarioSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    physics: z
      .object({
        bootSeconds: z.number().min(0).max(3600).default(60),
        appStartSeconds: z.number().min(0).max(3600).default(5),
        launchDelaySeconds: z.number().min(0).max(600).default(0),
        provisionSeconds: z.number().min(0).max(600).default(20),
        pullSeconds: z.number().min(0).max(600).default(10),
        containerStartSeconds: z.number().min(0).max(600).default(2),
        agentSeconds: z.number().min(0).max(600).default(10),
        crashSeconds: z.number().min(0).max(600).default(5),
        statusCheckSeconds: z.number().min(0).max(600).default(30),
        stopSeconds: z.number().min(0).max(600).default(10),
        imageSeconds: z.number().min(0).max(3600).default(60),
        alarmSeconds: z.number().min(0).max(3600).default(60),
        /** Lambda: init of a new execution environment, before the handler runs. */
        lambdaColdStartSeconds: z.number().min(0).max(60).default(0.4),
        /** Lambda: each invocation's own time besides its AWS calls (compute, the invoke round trip). */
        lambdaDurationSeconds: z.number().min(0).max(60).default(0.03),
        /** Lambda: an environment idle this long is reclaimed (the next invocation starts cold). */
        lambdaIdleSeconds: z.number().min(0).max(86_400).default(600),
        /** Every AWS API call takes this long; a write takes effect at its end. */
        apiLatencySeconds: z.number().min(0).max(60).default(0.05),
        apiLatency: apiLatency.default({}),
      })
      .strict()
      .prefault({}),
    eventDelaySeconds: z.number().min(0).max(300).default(1),
    /** Seed of the run's randomness (SDK retry jitter, fault rates, Step Functions jitter). */
    seed: z.number().int().min(0).default(1),
    apps: z.array(z.union([ecsApp, eipApp, asgApp])).min(1),
    brokenVersions: z.array(z.string()).default([]),
    /** Versions of which this share of the instances or tasks never answer (the others are fine). */
    flakyVersions: z.array(z.object({ version: z.string(), share: z.number().gt(0).max(1) }).strict()).default([]),
    /** Other rules on the shared listener, answering with a fixed response (e.g. a wildcard host rule of another team). */
    rules: z
      .array(z.object({ priority: z.number().int().min(1).max(50_000), host: z.string().optional(), path: z.string().optional(), status: z.number().int().min(200).max(599).default(404), body: z.string().default('not here') }).strict())
      .default([]),
    /**
     * How targets answer the synthetic client's requests: a share of 5xx and log-normal response
     * times (median latencyMs, log standard deviation latencySigma), per version where `versions`
     * names one. The load balancer's per-target-group metrics in CloudWatch come from these.
     */
    responses: z
      .object({
        errorRate: z.number().min(0).max(1).default(0),
        latencyMs: z.number().min(0).max(60_000).default(40),
        latencySigma: z.number().min(0).max(3).default(0),
        versions: z
          .array(z.object({ version: z.string(), errorRate: z.number().min(0).max(1).optional(), latencyMs: z.number().min(0).max(60_000).optional(), latencySigma: z.number().min(0).max(3).optional() }).strict())
          .default([]),
      })
      .strict()
      .prefault({}),
    /** A minute's load balancer metrics can be read from CloudWatch this long after the minute ends. */
    metricDelaySeconds: z.number().int().min(0).max(900).default(60),
    /** Versions that pass the load balancer's health check but answer 500 on any other path (smoke checks fail). */
    smokeFailVersions: z.array(z.string()).default([]),
    faults: z.array(fault).default([]),
    steps: z.array(step).min(1),
    limitSeconds: z.number().min(60).max(7 * 24 * 3600).default(6 * 3600),
    /** The first release execution dies on reaching this state, and is redriven after a while. */
    crash: z.object({ state: z.string(), redriveAfterSeconds: z.number().min(0).max(3600).default(20) }).strict().optional(),
    /** App alarms (e.g. on the target group's 5xx count) and their state at the start. */
    alarms: z.array(z.object({ name: z.string(), state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).default('OK'), composite: z.boolean().default(false) }).strict()).default([]),
    /** A release that crashed while holding an app's lock (its execution is gone; the lease runs out). */
    staleLocks: z.array(z.object({ app: z.string(), leaseSecondsLeft: z.number().min(0).max(86_400) }).strict()).default([]),
    /** The run's intended result, as written (without injected faults): a run that ends otherwise reports an `expected:` violation. */
    expect: z.object({ outcome: z.string().optional(), liveVersion: z.string().optional() }).strict().optional(),
    /** What the run's invariants hold it to. */
    invariants: z
      .object({
        /** Serving capacity during a release never drops below this share of what served before it (ECS's minimumHealthyPercent is the natural reference). */
        minHealthyPercent: z.number().min(0).max(100).default(100),
      })
      .strict()
      .prefault({}),
    /** Keep the simulation running at least this long (e.g. until a scheduled reconcile). */
    minSeconds: z.number().min(0).default(0),
    /** Whether the functions that make HTTP checks run in the VPC (greenlight.config.yml `vpc:`); outside it they cannot reach a private address. */
    functionsInVpc: z.boolean().default(true),
    /** IAM: the functions' policy is the stack's (deploy/iam.cjs); a test may take statements out by Sid. */
    iam: z
      .object({
        removeStatements: z.array(z.string()).default([]),
        /** The config's iam.scope: tags names resources by the greenlight:stack tag (value "sim"), which the account then carries on every configured resource. */
        scope: z.enum(['names', 'tags']).default('names'),
        /** With scope tags: configured resources left without the tag, by group or service name, listener or rule ARN, allocation id, instance id, or launch-template:<template name>. */
        untagged: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioApp = Scenario['apps'][number];
export type AsgScenarioApp = Extract<ScenarioApp, { kind: 'asg' }>;
export type EcsScenarioApp = Extract<ScenarioApp, { kind: 'ecs' }>;
export type EipScenarioApp = Extract<ScenarioApp, { kind: 'eip' }>;
export type ScenarioStep = Scenario['steps'][number];
