// Size: the config schema (every option of every kind, with its documentation) and its cross-field checks; one place a user's config is defined.
import * as z from 'zod/mini';
import './zod.js';
import { checkUserDataTemplate } from './artifact.js';
import { InvalidInput } from './errors.js';
import { historyProblem } from './limits.js';
import { APP_NAME, formatIssues, truncate } from './text.js';

// The operator's configuration: which apps exist and which resources each may touch.
// Strict objects everywhere: a typo in a key is an error, not a silently ignored setting.
// zod/mini keeps the Lambda bundles small (about 16 KB instead of 450 KB for classic zod).

const arn = (re: RegExp, message: string) => z.string().check(z.regex(re, { message }));
const listenerArn = arn(
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+$/,
  'must be an ALB listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app/...)',
);
const ruleArn = arn(
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+\/[0-9a-f]+$/,
  'must be an ALB listener-rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/...)',
);
const targetGroupArn = arn(
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/,
  'must be a target group ARN (arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)',
);
const int = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));

const colour = z.strictObject({
  autoScalingGroupName: z.string().check(z.minLength(1), z.maxLength(255)),
  targetGroupArn,
});

const artifact = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ami') }),
  z.strictObject({
    type: z.literal('bundle'),
    /** Rendered into the launch template's user data. Placeholders: see USER_DATA_PLACEHOLDERS. */
    userDataTemplate: z.string().check(
      z.minLength(1),
      z.maxLength(12_000),
      z.superRefine((t, ctx) => {
        const problem = checkUserDataTemplate(t);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: t });
      }),
    ),
  }),
]);

const trafficStrategy = z.discriminatedUnion('strategy', [
  z.strictObject({ strategy: z.literal('all-at-once') }),
  z.strictObject({ strategy: z.literal('canary'), percent: int(1, 99), bakeSeconds: int(0, 86_400) }),
  z.strictObject({ strategy: z.literal('linear'), stepPercent: int(1, 50), intervalSeconds: int(0, 86_400) }),
  z.strictObject({
    strategy: z.literal('custom'),
    steps: z.array(z.strictObject({ percent: int(1, 100), bakeSeconds: int(0, 86_400) })).check(
      z.minLength(1),
      z.maxLength(20),
      z.superRefine((steps, ctx) => {
        for (let k = 1; k < steps.length; k++)
          if (steps[k].percent <= steps[k - 1].percent) ctx.addIssue({ code: 'custom', path: [k, 'percent'], message: 'percentages must increase', input: steps });
        if (steps[steps.length - 1]?.percent !== 100) ctx.addIssue({ code: 'custom', path: [steps.length - 1, 'percent'], message: 'the last step must be 100', input: steps });
      }),
    ),
  }),
]);
export type TrafficStrategy = z.infer<typeof trafficStrategy>;

const alarmName = z.string().check(z.regex(/^[\x20-\x7e]{1,255}$/, { message: 'must be a CloudWatch alarm name' }));

const smokeCheck = z.strictObject({
  path: z._default(z.string().check(z.regex(/^\/[\x21-\x7e]{0,1023}$/, { message: 'must be a path starting with /' })), '/'),
  expectedStatus: z._default(int(100, 599), 200),
  /** Optional: the response body must contain this text. */
  bodyContains: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  retries: z._default(int(0, 10), 2),
});

/**
 * Test traffic: before any production traffic, this listener (e.g. port 8443) or rule (e.g. a
 * header or host match) is pointed at green, and the checks are sent to `baseUrl` through it.
 */
const testRoute = z.strictObject({
  listenerArn: z.optional(listenerArn),
  ruleArn: z.optional(ruleArn),
  baseUrl: z.string().check(z.regex(/^https?:\/\/[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/, { message: 'must be http(s)://host[:port] without a path, e.g. https://web-test.example.com:8443' })),
  checks: z.array(smokeCheck).check(z.minLength(1), z.maxLength(20)),
});

/**
 * Stepped retirement: the old colour's capacity, as a share of what it had when traffic moved,
 * at each time after the switch (e.g. 100 at 0, 50 after 10 min, 0 after 30 min). It stays a
 * rollback target while any capacity is left. Replaces keepWarm* when set.
 */
const retireSteps = z
  .array(z.strictObject({ afterMinutes: z.number().check(z.gte(0), z.lte(2880)), percent: int(0, 100) }))
  .check(
    z.minLength(1),
    z.maxLength(10),
    z.refine((s) => s[s.length - 1].percent === 0, { message: 'the last step must reach percent 0' }),
    z.refine((s) => s.every((x, k) => k === 0 || (x.afterMinutes > s[k - 1].afterMinutes && x.percent <= s[k - 1].percent)), {
      message: 'steps must come later and never grow: afterMinutes increasing, percent not increasing',
    }),
  );

const processName = z.enum(['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions']);
const workerService = z.strictObject({ cluster: z.string().check(z.minLength(1), z.maxLength(255)), serviceName: z.string().check(z.minLength(1), z.maxLength(255)) });

/**
 * Quiesce the old colour when traffic leaves it, so that it stops consuming queues: publish an
 * "Old Colour Quiesced" event, suspend Auto Scaling processes of its group (asg; resumed when it
 * is released to again), or hand its ECS worker service's count to the new colour's (ecs).
 */
const quiesce = z.strictObject({
  event: z._default(z.boolean(), false),
  suspendProcesses: z._default(z.array(processName), []),
  workers: z.optional(z.strictObject({ blue: workerService, green: workerService })),
});

/**
 * IAM roles greenlight may pass on (iam:PassRole): the launch template's instance profile role
 * (asg, eip), the task definition's task and execution roles (ecs). A role path may end in a
 * wildcard (arn:aws:iam::<account>:role/ecs-tasks/*), so apps whose roles share a path share one
 * entry: IAM has no tag condition for PassRole, and a list of every app's roles grows with the apps.
 */
const passRoles = z._default(
  z
    .array(
      z.string().check(
        z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*([\w+=,.@-]{1,512}|\*)$/, {
          message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<path/><name>), or a role path ending in /* (arn:aws:iam::<account>:role/<path>/*)',
        }),
      ),
    )
    .check(z.maxLength(20)),
  [],
);

/** Whose AMIs a manifest may name: account ids, or self / amazon / aws-marketplace (DescribeImages' Owners). */
const allowedImageOwners = z._default(
  z
    .array(z.string().check(z.regex(/^(self|amazon|aws-marketplace|\d{12})$/, { message: 'must be an AWS account id, or self, amazon or aws-marketplace' })))
    .check(z.minLength(1), z.maxLength(20)),
  ['self'],
);

/**
 * Which container images a manifest may name. repositories: image repositories (registry/name,
 * no tag); empty means each container's own live repository (a release changes the tag or digest,
 * never where the image comes from). requireDigest: only images pinned by @sha256 digest.
 */
const imagePolicy = z._default(
  z.strictObject({
    repositories: z._default(
      z.array(z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]*(:\d+)?(\/[a-z0-9._-]+)+$/, { message: 'must be an image repository such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/api (no tag)' }))).check(z.maxLength(50)),
      [],
    ),
    requireDigest: z._default(z.boolean(), false),
  }),
  { repositories: [], requireDigest: false },
);

/** Environment variables a manifest may never override (besides the task's secrets, AWS_*, NODE_OPTIONS, LD_PRELOAD); a trailing * matches a prefix. */
const deniedEnvironment = z._default(
  z.array(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}\*?$/, { message: 'must be an environment variable name, optionally ending in * (a prefix)' }))).check(z.maxLength(100)),
  [],
);

/** IAM principals (role or user ARNs) allowed to upload under releases/ (per app: under releases/<app>/, instead of the top-level list). */
const uploaders = z._default(z.array(z.string().check(z.regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:[A-Za-z0-9+=,.@_/:*-]+$/, { message: 'must be an IAM role or user ARN' }))).check(z.maxLength(50)), []);

const routeFields = {
  /** Traffic is routed by this listener's default action ... */
  listenerArn,
  /** ... or, when set, by this rule of the listener (shared ALBs). */
  ruleArn: z.optional(ruleArn),
  /**
   * Guard alarms: one in ALARM blocks a release from starting, stops any further traffic step,
   * and (EventBridge) rolls a running release back at once.
   */
  alarms: z._default(z.array(alarmName).check(z.maxLength(100)), []),
  test: z.optional(testRoute),
  /**
   * Preview URLs: host-header rules <version>.<domain> (dots in the version become dashes) on the
   * production listener. The new version's points at green once it is healthy; after the switch
   * the previous version's points at the old colour until it is retired. Priorities are taken
   * from priorityFrom upwards (100 of them).
   */
  preview: z.optional(
    z.strictObject({
      domain: z.string().check(z.regex(/^(?=.{1,200}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, { message: 'must be a DNS domain such as preview.example.com (with a wildcard record *.preview.example.com on the load balancer)' })),
      priorityFrom: z._default(int(1, 49900), 40000),
    }),
  ),
  /**
   * Approval gate: once green is healthy (and checked), the release waits for `greenlight
   * promote <app>` or `greenlight abort <app>`, at most timeoutMinutes, then does onTimeout.
   */
  approval: z.optional(
    z.strictObject({
      timeoutMinutes: z._default(z.number().check(z.gte(1), z.lte(10080)), 60),
      onTimeout: z._default(z.enum(['abort', 'promote']), 'abort'),
    }),
  ),
  /**
   * Statistical canary judgement: at the end of each traffic step's bake, green's (the canary's)
   * per-period load balancer metrics are compared with the live colour's (the baseline's) over
   * the same periods by a one-sided Mann-Whitney U test (src/core/judge.ts). A metric fails when
   * its shift is significant (p < alpha) and larger than its tolerance; the score is the share of
   * metrics that pass. Below marginalScore the release rolls back; the last step needs passScore.
   */
  judge: z.optional(
    z.strictObject({
      metrics: z._default(z.array(z.enum(['errors', 'latency'])).check(z.minLength(1), z.maxLength(2)), ['errors', 'latency']),
      periodSeconds: z._default(
        int(60, 3600).check(z.refine((n) => n % 60 === 0, { message: 'must be a multiple of 60 (the load balancer publishes per minute)' })),
        60,
      ),
      minPeriods: z._default(int(3, 100), 5),
      alpha: z._default(z.number().check(z.gt(0), z.lte(0.2)), 0.05),
      tolerance: z._default(
        z.strictObject({
          /** 5xx per request, percentage points above the baseline's. */
          errorsPoints: z._default(z.number().check(z.gte(0), z.lte(100)), 0.5),
          /** Mean target response time, milliseconds above the baseline's. */
          latencyMs: z._default(z.number().check(z.gte(0), z.lte(60_000)), 20),
        }),
        { errorsPoints: 0.5, latencyMs: 20 },
      ),
      passScore: z._default(z.number().check(z.gte(0), z.lte(100)), 95),
      marginalScore: z._default(z.number().check(z.gte(0), z.lte(100)), 75),
    }),
  ),
};

const checkColours = (
  app: {
    blue: { targetGroupArn: string };
    green: { targetGroupArn: string };
    listenerArn: string;
    ruleArn?: string;
    test?: { listenerArn?: string; ruleArn?: string };
    traffic: TrafficStrategy;
    judge?: { periodSeconds: number; minPeriods: number; passScore: number; marginalScore: number };
  },
  ctx: Ctx,
) => {
  if (app.judge) checkJudge(app.judge, app.traffic, ctx, app);
  if (app.test && !app.test.listenerArn === !app.test.ruleArn)
    ctx.addIssue({ code: 'custom', path: ['test'], message: 'set exactly one of test.listenerArn (a test listener) and test.ruleArn (a test rule)', input: app });
  if (app.test && ((app.test.ruleArn && app.test.ruleArn === app.ruleArn) || (!app.ruleArn && app.test.listenerArn === app.listenerArn)))
    ctx.addIssue({ code: 'custom', path: ['test'], message: 'the test route must not be the production route', input: app });
  if (app.blue.targetGroupArn === app.green.targetGroupArn)
    ctx.addIssue({ code: 'custom', path: ['green', 'targetGroupArn'], message: 'blue and green must use different target groups', input: app });
  if (app.ruleArn) {
    const lst = app.listenerArn.split(':listener/')[1];
    const rl = app.ruleArn.split(':listener-rule/')[1];
    if (!rl.startsWith(lst + '/')) ctx.addIssue({ code: 'custom', path: ['ruleArn'], message: 'the rule must belong to listenerArn', input: app });
  }
};
/** A judged canary needs steps that bake, each long enough for minPeriods whole periods to be readable. */
function checkJudge(judge: { periodSeconds: number; minPeriods: number; passScore: number; marginalScore: number }, traffic: TrafficStrategy, ctx: Ctx, app: unknown) {
  if (judge.marginalScore > judge.passScore) ctx.addIssue({ code: 'custom', path: ['judge', 'marginalScore'], message: 'marginalScore must not exceed passScore', input: app });
  const bakes = traffic.strategy === 'canary' ? [traffic.bakeSeconds] : traffic.strategy === 'linear' ? [traffic.intervalSeconds] : traffic.strategy === 'custom' ? traffic.steps.slice(0, -1).map((s) => s.bakeSeconds) : [];
  if (!bakes.length) {
    ctx.addIssue({ code: 'custom', path: ['judge'], message: 'judge compares a canary with its baseline while a traffic step bakes: set traffic.strategy to canary, linear or custom, or remove judge', input: app });
    return;
  }
  // Whole periods inside the bake, less the one CloudWatch has not published yet.
  const need = (judge.minPeriods + 2) * judge.periodSeconds;
  const short = Math.min(...bakes);
  if (short < need)
    ctx.addIssue({ code: 'custom', path: ['traffic'], message: `judge needs each bake to last at least (minPeriods + 2) × periodSeconds = ${need} s for ${judge.minPeriods} readable periods; the shortest is ${short} s: bake longer, or lower judge.minPeriods or judge.periodSeconds`, input: app });
}

type Ctx = { addIssue: (i: { code: 'custom'; path?: PropertyKey[]; message: string; input: unknown }) => void };

const asgApp = z
  .strictObject({
    kind: z.literal('asg'),
    ...routeFields,
    /** The instance profile's role, when the launch template names one: AWS checks iam:PassRole for it when a group is pointed at a version. */
    passRoles,
    /** Who may upload this app's releases (releases/<app>/): replaces the top-level uploaders for it. */
    uploaders,
    allowedImageOwners,
    launchTemplateId: z.string().check(z.regex(/^lt-[0-9a-f]{8,17}$/, { message: 'must be a launch template id (lt-...)' })),
    blue: colour,
    green: colour,
    artifact,
    /** How traffic moves to green: at once, canary (a share, bake, then all), linear, or custom steps. */
    traffic: z._default(trafficStrategy, { strategy: 'all-at-once' }),
    health: z._default(
      z.strictObject({
        timeoutSeconds: z._default(int(60, 7200), 900),
        pollSeconds: z._default(int(1, 300), 5),
      }),
      { timeoutSeconds: 900, pollSeconds: 5 },
    ),
    retire: z._default(
      z.strictObject({
        keepWarmInstances: z._default(int(0, 1000), 1),
        keepWarmMinutes: z._default(z.number().check(z.gte(0), z.lte(2880)), 15),
        steps: z.optional(retireSteps),
        /** By metric: a step down waits (re-checked every minute) while any of these alarms is in ALARM. */
        holdWhileAlarm: z._default(z.array(alarmName).check(z.maxLength(20)), []),
        /** Hold at most this long (then the old colour is kept as it is and the release ends). */
        maxHoldMinutes: z._default(int(1, 1440), 120),
        quiesce: z.optional(quiesce),
      }),
      { keepWarmInstances: 1, keepWarmMinutes: 15, holdWhileAlarm: [], maxHoldMinutes: 120 },
    ),
    /** Alarms (each with an InstanceId dimension) whose ALARM marks that instance Unhealthy: Auto Scaling replaces it. */
    replaceOnAlarms: z._default(z.array(z.string().check(z.regex(/^[\x20-\x7e]{1,255}$/, { message: 'must be a CloudWatch alarm name' }))).check(z.maxLength(50)), []),
    /** Reject artifacts uploaded without an S3 SHA-256 checksum. */
    requireChecksum: z._default(z.boolean(), false),
    onFailure: z._default(z.strictObject({ keepGreenForInspection: z._default(z.boolean(), false) }), { keepGreenForInspection: false }),
  })
  .check(
    z.superRefine((app, ctx) => {
      if (app.blue.autoScalingGroupName === app.green.autoScalingGroupName)
        ctx.addIssue({ code: 'custom', path: ['green', 'autoScalingGroupName'], message: 'blue and green must be different Auto Scaling groups', input: app });
      checkColours(app, ctx);
    }),
  );

const ecsColour = z.strictObject({
  cluster: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, { message: 'must be an ECS cluster name' })),
  serviceName: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, { message: 'must be an ECS service name' })),
  targetGroupArn,
  /** EC2 capacity only: the Auto Scaling group whose instances form this colour's cluster capacity. */
  autoScalingGroupName: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
});

const ecsApp = z
  .strictObject({
    kind: z.literal('ecs'),
    ...routeFields,
    /** fargate, or ec2: each colour's cluster is backed by its own Auto Scaling group (scaled with the colour). */
    capacity: z.enum(['fargate', 'ec2']),
    /** The live task definition's task and execution roles: a derived revision keeps them, and registering it passes them to ECS (iam:PassRole). */
    passRoles,
    /** Who may upload this app's releases (releases/<app>/): replaces the top-level uploaders for it. */
    uploaders,
    images: imagePolicy,
    deniedEnvironment,
    blue: ecsColour,
    green: ecsColour,
    /** Optional: release on an ECR push of a matching tag (the image is pinned by digest). */
    ecr: z.optional(
      z.strictObject({
        repository: z.string().check(z.regex(/^[a-z0-9._/-]{2,256}$/, { message: 'must be an ECR repository name' })),
        container: z.string().check(z.minLength(1), z.maxLength(255)),
        tagPattern: z._default(z.string().check(z.minLength(1), z.maxLength(200)), '^v?[0-9]+\\.[0-9]+\\.[0-9]+$'),
      }),
    ),
    /** EC2 capacity: the service's task count follows its group through lifecycle hooks. */
    scaling: z.optional(
      z.strictObject({
        tasksPerInstance: int(1, 100),
        minTasks: z._default(int(0, 5000), 0),
        maxTasks: z._default(int(1, 5000), 5000),
        /** A launched instance whose container instance has not joined by then is abandoned (replaced). */
        joinTimeoutSeconds: z._default(int(60, 7200), 600),
        /** A terminating instance is let go after this even if tasks still run on it. */
        drainTimeoutSeconds: z._default(int(60, 172800), 1800),
        pollSeconds: z._default(int(1, 300), 5),
      }),
    ),
    /** How traffic moves to green: at once, canary (a share, bake, then all), linear, or custom steps. */
    traffic: z._default(trafficStrategy, { strategy: 'all-at-once' }),
    health: z._default(
      z.strictObject({
        timeoutSeconds: z._default(int(60, 7200), 900),
        pollSeconds: z._default(int(1, 300), 5),
        /** Roll back once this many green tasks stopped before turning healthy (crash loop). */
        maxFailedTasks: z._default(int(1, 100), 3),
      }),
      { timeoutSeconds: 900, pollSeconds: 5, maxFailedTasks: 3 },
    ),
    retire: z._default(
      z.strictObject({
        keepWarmTasks: z._default(int(0, 5000), 1),
        keepWarmMinutes: z._default(z.number().check(z.gte(0), z.lte(2880)), 15),
        steps: z.optional(retireSteps),
        /** By metric: a step down waits (re-checked every minute) while any of these alarms is in ALARM. */
        holdWhileAlarm: z._default(z.array(alarmName).check(z.maxLength(20)), []),
        /** Hold at most this long (then the old colour is kept as it is and the release ends). */
        maxHoldMinutes: z._default(int(1, 1440), 120),
        quiesce: z.optional(quiesce),
      }),
      { keepWarmTasks: 1, keepWarmMinutes: 15, holdWhileAlarm: [], maxHoldMinutes: 120 },
    ),
    /** Reject artifacts uploaded without an S3 SHA-256 checksum. */
    requireChecksum: z._default(z.boolean(), false),
    onFailure: z._default(z.strictObject({ keepGreenForInspection: z._default(z.boolean(), false) }), { keepGreenForInspection: false }),
  })
  .check(
    z.superRefine((app, ctx) => {
      checkColours(app, ctx);
      if (app.blue.serviceName === app.green.serviceName && app.blue.cluster === app.green.cluster)
        ctx.addIssue({ code: 'custom', path: ['green', 'serviceName'], message: 'blue and green must be different ECS services', input: app });
      for (const c of ['blue', 'green'] as const) {
        const asg = app[c].autoScalingGroupName;
        if (app.capacity === 'ec2' && !asg)
          ctx.addIssue({ code: 'custom', path: [c, 'autoScalingGroupName'], message: 'capacity ec2 needs the Auto Scaling group behind each colour', input: app });
        if (app.capacity === 'fargate' && asg)
          ctx.addIssue({ code: 'custom', path: [c, 'autoScalingGroupName'], message: 'capacity fargate has no Auto Scaling group: remove it', input: app });
      }
      if (app.scaling && app.capacity !== 'ec2')
        ctx.addIssue({ code: 'custom', path: ['scaling'], message: 'scaling (tasks following the Auto Scaling group) needs capacity: ec2', input: app });
      if (app.scaling && app.scaling.minTasks > app.scaling.maxTasks)
        ctx.addIssue({ code: 'custom', path: ['scaling', 'minTasks'], message: 'minTasks must not exceed maxTasks', input: app });
      if (app.capacity === 'ec2' && app.blue.cluster === app.green.cluster)
        ctx.addIssue({ code: 'custom', path: ['green', 'cluster'], message: 'with ec2 capacity each colour needs its own cluster (backed by its own Auto Scaling group)', input: app });
    }),
  );

const httpCheck = z.strictObject({
  path: z._default(z.string().check(z.regex(/^\/[\x21-\x7e]{0,1023}$/, { message: 'must be a path starting with /' })), '/'),
  port: z._default(int(1, 65535), 80),
  expectedStatus: z._default(int(100, 599), 200),
  /** Optional: the response body must contain this text. */
  bodyContains: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  retries: z._default(int(0, 10), 2),
});

const eipApp = z
  .strictObject({
    kind: z.literal('eip'),
    /** The Elastic IP that serves the app: its association is which instance is live. */
    allocationId: z.string().check(z.regex(/^eipalloc-[0-9a-f]{8,17}$/, { message: 'must be an Elastic IP allocation id (eipalloc-...)' })),
    /** The instance profile's role, when the launch template names one (RunInstances passes it). */
    passRoles,
    /** Who may upload this app's releases (releases/<app>/): replaces the top-level uploaders for it. */
    uploaders,
    allowedImageOwners,
    launchTemplateId: z.string().check(z.regex(/^lt-[0-9a-f]{8,17}$/, { message: 'must be a launch template id (lt-...)' })),
    artifact,
    /** launch-template: a new instance from the template with the artifact pinned; image: from an AMI of the live instance (bundle artifacts, applied at boot). */
    stamp: z._default(z.enum(['launch-template', 'image']), 'launch-template'),
    noReboot: z._default(z.boolean(), true),
    health: z._default(
      z.strictObject({
        check: z._default(httpCheck, { path: '/', port: 80, expectedStatus: 200, retries: 2 }),
        timeoutSeconds: z._default(int(60, 7200), 900),
        pollSeconds: z._default(int(1, 300), 5),
      }),
      { check: { path: '/', port: 80, expectedStatus: 200, retries: 2 }, timeoutSeconds: 900, pollSeconds: 5 },
    ),
    /** Run against the new instance before the address moves; any failure rolls back. */
    smoke: z._default(z.array(httpCheck).check(z.maxLength(20)), []),
    retire: z._default(
      z.strictObject({
        /** The old instance is stopped (not terminated) for this long: the rollback window. */
        keepStoppedMinutes: z._default(z.number().check(z.gte(0), z.lte(10080)), 60),
        /** Images created for releases (stamp: image) kept, newest first. */
        keepImages: z._default(int(0, 100), 3),
      }),
      { keepStoppedMinutes: 60, keepImages: 3 },
    ),
    /** Replace, don't reboot: a status-check failure of the live instance starts the replace machine. */
    replaceOnStatusCheckFailure: z._default(z.boolean(), true),
    /** Reject artifacts uploaded without an S3 SHA-256 checksum. */
    requireChecksum: z._default(z.boolean(), false),
    onFailure: z._default(z.strictObject({ keepGreenForInspection: z._default(z.boolean(), false) }), { keepGreenForInspection: false }),
  })
  .check(
    z.superRefine((app, ctx) => {
      if (app.stamp === 'image' && app.artifact.type !== 'bundle')
        ctx.addIssue({ code: 'custom', path: ['stamp'], message: 'stamp: image copies the live server, so the release must be a bundle applied at boot (artifact.type: bundle)', input: app });
    }),
  );

export const AppConfigSchema = z.discriminatedUnion('kind', [asgApp, ecsApp, eipApp]);
export const ConfigSchema = z.strictObject({
  /** IAM principals (role or user ARNs) allowed to upload under releases/; empty: anyone the account's IAM allows. */
  uploaders,
  /** How often the capacity state machine reconciles every scaled app (EventBridge schedule). */
  reconcileMinutes: z._default(int(1, 1440), 5),
  /**
   * The VPC for the functions that make HTTP checks of the apps (eip health checks of a server's
   * private address, smoke checks through an internal load balancer). Its subnets need a NAT
   * gateway or VPC endpoints for the AWS APIs those functions call.
   */
  vpc: z.optional(
    z.strictObject({
      subnetIds: z.array(z.string().check(z.regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'must be a subnet id (subnet-...)' }))).check(z.minLength(1), z.maxLength(16)),
      securityGroupIds: z.array(z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, { message: 'must be a security group id (sg-...)' }))).check(z.minLength(1), z.maxLength(5)),
    }),
  ),
  /** The deployer watching itself: state machine logs (level), X-Ray tracing, failure alarms. */
  observability: z._default(
    z.strictObject({
      /** Step Functions execution logs to CloudWatch Logs: ERROR (default) or ALL; never execution data. */
      logLevel: z._default(z.enum(['ERROR', 'ALL', 'FATAL']), 'ERROR'),
      /** X-Ray tracing of both state machines and of the functions. */
      tracing: z._default(z.boolean(), false),
    }),
    { logLevel: 'ERROR', tracing: false },
  ),
  /**
   * How the functions' IAM policies name what they may change. names (default): each configured
   * group, service, listener, rule, launch template and address by ARN, the tightest scope, which
   * fits about 18 apps in IAM's 10,240-character role policy. tags: any of them that carries the
   * tag greenlight:stack=<stack>, so the policies stay the same size for any number of apps; tag
   * each configured resource (greenlight verify <app> checks it).
   */
  iam: z._default(
    z.strictObject({
      scope: z._default(z.enum(['names', 'tags']), 'names'),
      /** The value of the greenlight:stack tag on the resources this stack may change (scope: tags). */
      stack: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/, { message: 'must be a tag value of letters, digits and _.:/=+@- (1-128 characters)' }))),
    }),
    { scope: 'names' },
  ),
  apps: z.record(z.string(), AppConfigSchema).check(
    z.superRefine((apps, ctx) => {
      for (const name of Object.keys(apps))
        if (!APP_NAME.test(name))
          ctx.addIssue({ code: 'custom', path: [name], message: 'app names are lowercase letters, digits and dashes, starting with a letter (max 40)', input: name });
    }),
  ),
}).check(
  z.superRefine((c, ctx) => {
    // An eip release checks the new server at its private address, which a Lambda function
    // reaches only from inside the VPC.
    if (c.iam.scope === 'tags' && !c.iam.stack)
      ctx.addIssue({
        code: 'custom',
        path: ['iam', 'stack'],
        message: 'required with iam.scope: tags: the value of the greenlight:stack tag on the resources this stack may change, e.g. iam: { scope: tags, stack: prod } (usually the stage you deploy with)',
        input: c,
      });
    const eip = Object.entries(c.apps).filter(([, a]) => a.kind === 'eip').map(([n]) => n);
    if (eip.length && !c.vpc)
      ctx.addIssue({
        code: 'custom',
        path: ['vpc'],
        message: `required for eip apps (${eip.join(', ')}): their health checks call the new server's private address, which greenlight's functions reach only from inside the VPC; set vpc: { subnetIds: [...], securityGroupIds: [...] } (subnets with a NAT gateway or VPC endpoints)`,
        input: c,
      });
  }),
);

export type AppConfig = z.infer<typeof AppConfigSchema>;
export type AsgAppConfig = z.infer<typeof asgApp>;
export type EcsAppConfig = z.infer<typeof ecsApp>;
export type EipAppConfig = z.infer<typeof eipApp>;
/** An app behind a load balancer, blue and green: the kinds whose traits (kinds.ts) say routed. */
export type { RoutedAppConfig } from './kinds.js';
export type Config = z.infer<typeof ConfigSchema>;
export type Colour = 'blue' | 'green';

/** Validate a parsed config document; the error names each bad field and the fix. */
export function parseConfig(doc: unknown): Config {
  const parsed = ConfigSchema.safeParse(doc);
  if (!parsed.success) throw new InvalidInput(`invalid greenlight config: ${formatIssues(parsed.error.issues)}`);
  // Bounds derived from Step Functions' history limit (src/core/limits.ts).
  const tooLong = Object.entries(parsed.data.apps)
    .map(([name, app]) => [name, historyProblem(app)] as const)
    .filter(([, p]) => p !== null);
  if (tooLong.length) throw new InvalidInput(`invalid greenlight config: ${tooLong.map(([name, p]) => `apps.${name}: ${p}`).join('; ')}`);
  return parsed.data;
}

/** The tag that names the resources a stack may change when iam.scope is tags (deploy/iam.cjs). */
export const STACK_TAG = 'greenlight:stack';

/** The stack's tag, for what greenlight creates (eip servers and images, preview rules) under iam.scope: tags; none otherwise. */
export function stackTags(config: Pick<Config, 'iam'>): Record<string, string> {
  return config.iam?.scope === 'tags' && config.iam.stack ? { [STACK_TAG]: config.iam.stack } : {};
}

/** Whether the app may pass this role on: it is listed, or under a listed path ending in /*. */
export function passRoleListed(patterns: readonly string[], role: string): boolean {
  return patterns.some((p) => p === role || (p.endsWith('/*') && role.startsWith(p.slice(0, -1))));
}

export function appConfig(config: Config, app: string): AppConfig {
  const found = Object.hasOwn(config.apps, app) ? config.apps[app] : undefined;
  if (!found) {
    const known = Object.keys(config.apps).sort().join(', ') || '(none)';
    throw new InvalidInput(`unknown app "${truncate(app, 64)}": add it under apps: in greenlight.config.yml (configured: ${known})`);
  }
  return found;
}
