import { renderUserData } from '../core/artifact.js';
import { LAUNCH_HOOK, launchHookHeartbeat, TERMINATE_HOOK, TERMINATE_HOOK_HEARTBEAT_SECONDS } from '../core/capacity.js';
import { type Config, parseConfig } from '../core/config.js';
import { releaseDescription } from '../core/release.js';
import type { VirtualClock } from './clock.js';
import { Ec2Model } from './ec2.js';
import { EcsModel } from './ecs.js';
import type { AsgScenarioApp, EcsScenarioApp, EipScenarioApp, Scenario, ScenarioApp } from './scenario.js';
import { SIM_STACK, tagConfigured } from './stack-tags.js';
import { ACCOUNT, hexId, REGION, type TargetGroup, World } from './world.js';

// Builds the starting account of a scenario (one shared ALB, two colours per app, the live
// colour already serving its initial version) and the greenlight config an operator would write.

export const SIM_BUCKET = 'greenlight-artifacts-sim';
export const SIM_TABLE = 'greenlight-sim';
export const SIM_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:greenlight-sim-releases`;

export const DEFAULT_USER_DATA = `#!/bin/bash
# greenlight release {{app}} {{version}} from {{s3Uri}} (sha256 {{sha256}})
set -euo pipefail
mkdir -p /opt/app
aws s3api get-object --bucket {{bucket}} --key {{key}} --version-id {{versionId}} /opt/app/release.tgz
tar -xzf /opt/app/release.tgz -C /opt/app
systemctl restart app
`;

export interface Built {
  world: World;
  config: Config;
  listenerArn: string;
  hosts: Map<string, string>;
}

export function buildWorld(scenario: Scenario, clock: VirtualClock): Built {
  const world = new World(clock, scenario.physics);
  world.ecs = new EcsModel(world, scenario.physics);
  world.ec2 = new Ec2Model(world, scenario.physics);
  for (const v of scenario.brokenVersions) world.brokenVersions.add(v);
  for (const f of scenario.flakyVersions) world.flakyVersions.set(f.version, { share: f.share, started: 0 });
  for (const v of scenario.smokeFailVersions) world.elb.smokeFailVersions.add(v);
  world.s3.buckets.set(SIM_BUCKET, { name: SIM_BUCKET, versioned: true, eventBridge: true, objects: new Map() });
  world.dynamodb.createTable(SIM_TABLE, 'pk', 'sk');
  world.snsTopics.add(SIM_TOPIC);

  const lbId = hexId('lb');
  const lbArn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/shared/${lbId}`;
  const listenerArn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/shared/${lbId}/${hexId('listener')}`;
  world.elb.listeners.set(listenerArn, {
    arn: listenerArn,
    loadBalancerArn: lbArn,
    port: 443,
    protocol: 'HTTPS',
    defaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no such app' } }],
  });

  const owners = scenario.apps.filter((a) => a.route === 'listener');
  if (owners.length > 1) throw new Error(`scenario ${scenario.name}: only one app can own the listener's default action (route: listener)`);

  const apps: Record<string, unknown> = {};
  const hosts = new Map<string, string>();
  scenario.apps.forEach((app, index) => {
    const host = app.host ?? `${app.name}.example.com`;
    hosts.set(app.name, host);
    apps[app.name] = buildApp(world, app, listenerArn, index);
  });
  // The operator's config goes through the same validation as in Lambda.
  // Other teams' rules on the shared listener (fixed responses), e.g. a wildcard host rule.
  for (const [k, r] of scenario.rules.entries()) {
    const arn = `${listenerArn.replace(':listener/', ':listener-rule/')}/${hexId(`other-rule-${k}`)}`;
    const conditions = [
      ...(r.host ? [{ Field: 'host-header', HostHeaderConfig: { Values: [r.host] } }] : []),
      ...(r.path ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [r.path] } }] : []),
    ];
    world.elb.rules.set(arn, { arn, listenerArn, priority: r.priority, conditions, actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: String(r.status), ContentType: 'text/plain', MessageBody: r.body } }] });
  }
  // The functions that check the apps over HTTP run in the account's VPC (config `vpc:`), unless
  // the scenario says they are outside it.
  const vpc = scenario.functionsInVpc ? { vpc: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60719'], securityGroupIds: ['sg-0a1b2c3d4e5f60718'] } } : {};
  const iam = scenario.iam.scope === 'tags' ? { iam: { scope: 'tags', stack: SIM_STACK } } : {};
  const config = parseConfig({ apps, ...vpc, ...iam });
  if (scenario.iam.scope === 'tags') tagConfigured(world, config, new Set(scenario.iam.untagged));
  return { world, config, listenerArn, hosts };
}

/** Two target groups and the route (listener default action or host rule) to the live one. */
function buildRoute(world: World, app: ScenarioApp, listenerArn: string, index: number) {
  const tg = (colour: string): TargetGroup => {
    const name = `${app.name}-${colour}`;
    const t: TargetGroup = {
      arn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${name}/${hexId(name)}`,
      name,
      port: 8080,
      healthCheck: { ...app.healthCheck },
      deregistrationDelaySeconds: app.deregistrationDelaySeconds,
      targets: new Map(),
    };
    world.elb.targetGroups.set(t.arn, t);
    return t;
  };
  const tgs = { blue: tg('blue'), green: tg('green') };
  const liveTg = tgs[app.live];
  const forward = [{ Type: 'forward', TargetGroupArn: liveTg.arn }];

  let ruleArn: string | undefined;
  if (app.route === 'listener') world.elb.listener(listenerArn).defaultActions = forward;
  else {
    ruleArn = `${listenerArn.replace(':listener/', ':listener-rule/')}/${hexId(`rule-${app.name}`)}`;
    world.elb.rules.set(ruleArn, {
      arn: ruleArn,
      listenerArn,
      priority: app.rulePriority ?? 10 * (index + 1),
      conditions: [
        { Field: 'host-header', HostHeaderConfig: { Values: [app.host ?? `${app.name}.example.com`] } },
        ...(app.pathPattern ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [app.pathPattern] } }] : []),
      ],
      actions: forward,
    });
  }
  // A test listener on its own port, forwarding to the idle colour (greenlight re-points it).
  let test: Record<string, unknown> | undefined;
  if (app.testListener) {
    const port = 9000 + index;
    const testArn = `${listenerArn.replace(/\/[0-9a-f]+$/, '')}/${hexId(`test-listener-${app.name}`)}`;
    world.elb.listeners.set(testArn, {
      arn: testArn,
      loadBalancerArn: world.elb.listener(listenerArn).loadBalancerArn,
      port,
      protocol: 'HTTP',
      defaultActions: [{ Type: 'forward', TargetGroupArn: tgs[app.live === 'blue' ? 'green' : 'blue'].arn }],
    });
    test = { listenerArn: testArn, baseUrl: `http://${world.elb.lbDnsName}:${port}`, checks: app.testListener.checks };
  } else if (app.testRule) {
    const testRuleArn = `${listenerArn.replace(':listener/', ':listener-rule/')}/${hexId(`test-rule-${app.name}`)}`;
    world.elb.rules.set(testRuleArn, {
      arn: testRuleArn,
      listenerArn,
      priority: 1 + index,
      conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [app.testRule.host] } }],
      actions: [{ Type: 'forward', TargetGroupArn: tgs[app.live === 'blue' ? 'green' : 'blue'].arn }],
    });
    test = { ruleArn: testRuleArn, baseUrl: `https://${app.testRule.host}`, checks: app.testRule.checks };
  }
  return { tgs, ruleArn, route: { listenerArn, ...(ruleArn ? { ruleArn } : {}), ...(test ? { test } : {}) } };
}

function buildApp(world: World, app: ScenarioApp, listenerArn: string, index: number) {
  if (app.kind === 'eip') return buildEipApp(world, app);
  return app.kind === 'ecs' ? buildEcsApp(world, app, listenerArn, index) : buildAsgApp(world, app, listenerArn, index);
}

/** The initial release's launch template: an AMI with the app baked in, or a base AMI + a bundle. */
function initialLaunchTemplate(world: World, app: { name: string; artifact: 'ami' | 'bundle'; initialVersion: string; instanceProfile?: string; launchTags?: Record<string, string> }) {
  let data: Record<string, unknown>;
  let versionId: string;
  if (app.artifact === 'ami') {
    const img = world.registerImage(app.initialVersion, `${app.name}-${app.initialVersion}`);
    const key = `releases/${app.name}/${app.initialVersion}.json`;
    versionId = world.s3.putObject(SIM_BUCKET, key, Buffer.from(JSON.stringify({ version: app.initialVersion, imageId: img.imageId }))).versionId;
    data = { ImageId: img.imageId, InstanceType: 't3.small' };
  } else {
    const base = world.registerImage(null, 'al2023-base');
    const key = `releases/${app.name}/${app.initialVersion}.tar.gz`;
    const obj = world.s3.putObject(SIM_BUCKET, key, Buffer.from(`bundle ${app.name} ${app.initialVersion}`));
    versionId = obj.versionId;
    const userData = renderUserData(DEFAULT_USER_DATA, {
      app: app.name,
      version: app.initialVersion,
      bucket: SIM_BUCKET,
      key,
      versionId,
      s3Uri: `s3://${SIM_BUCKET}/${key}`,
      sha256: obj.sha256 ?? '',
    });
    data = { ImageId: base.imageId, InstanceType: 't3.small', UserData: userData };
  }
  if (app.instanceProfile) {
    world.instanceProfiles.set(app.instanceProfile, `arn:aws:iam::${ACCOUNT}:role/${app.instanceProfile}-role`);
    data.IamInstanceProfile = { Name: app.instanceProfile };
  }
  if (app.launchTags) {
    const Tags = Object.entries(app.launchTags).map(([Key, Value]) => ({ Key, Value }));
    data.TagSpecifications = [
      { ResourceType: 'instance', Tags },
      { ResourceType: 'volume', Tags },
    ];
  }
  const description = releaseDescription({ app: app.name, version: app.initialVersion, artifact: { versionId } as never });
  return { lt: world.createLaunchTemplate(app.name, data, description), description };
}

function buildEipApp(world: World, app: EipScenarioApp) {
  const { lt, description } = initialLaunchTemplate(world, app);
  const i = world.launchInstance({
    launchTemplateId: lt.id,
    version: '1',
    tags: { 'greenlight:app': app.name, 'greenlight:release': description, 'greenlight:lt-version': '1' },
  });
  Object.assign(i, { state: 'running', lifecycle: 'InService', servesFrom: -3600, runningSince: -3600, launchedAt: -3600 });
  const address = world.ec2.allocate();
  world.ec2.associate(address.allocationId, i.id, false);
  // As if greenlight had released it: its status alarm watches the live server.
  if ((app.greenlight.replaceOnStatusCheckFailure ?? true) !== false) world.ec2.putAlarm(`greenlight-${app.name}-status`, i.id);
  return {
    kind: 'eip',
    allocationId: address.allocationId,
    launchTemplateId: lt.id,
    artifact: app.artifact === 'ami' ? { type: 'ami' } : { type: 'bundle', userDataTemplate: DEFAULT_USER_DATA },
    ...app.greenlight,
  };
}

function buildAsgApp(world: World, app: AsgScenarioApp, listenerArn: string, index: number) {
  const { tgs, route } = buildRoute(world, app, listenerArn, index);
  const liveTg = tgs[app.live];
  // The initial release, as if greenlight had shipped it: an artifact in S3 and a pinned version.
  const { lt } = initialLaunchTemplate(world, app);

  for (const colour of ['blue', 'green'] as const) {
    const name = `${app.name}-${colour}`;
    const live = colour === app.live;
    world.groups.set(name, {
      name,
      arn: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:${hexId(name, 8)}:autoScalingGroupName/${name}`,
      min: live ? app.instances : 0,
      max: app.instances * 2,
      desired: live ? app.instances : 0,
      launchTemplateId: lt.id,
      launchTemplateVersion: '1',
      targetGroupArns: [tgs[colour].arn],
      instances: [],
    });
  }
  // The live colour is already up: boot it and let its health checks settle before t=0.
  const liveGroup = world.groups.get(`${app.name}-${app.live}`)!;
  world.reconcile(liveGroup);
  for (const id of liveGroup.instances) {
    const i = world.instances.get(id)!;
    Object.assign(i, { state: 'running', lifecycle: 'InService', servesFrom: 0, launchedAt: -3600 });
    world.elb.register(liveTg.arn, id);
    const t = liveTg.targets.get(id)!;
    Object.assign(t, { state: 'healthy', reason: undefined, okStreak: app.healthCheck.healthyThresholdCount, registeredAt: -3600 });
  }

  // Alarms the operator made (one per instance, StatusCheckFailed) for `replaceOnAlarms`.
  const alarms = (app.greenlight.replaceOnAlarms as string[] | undefined) ?? [];
  alarms.forEach((name, k) => {
    const id = liveGroup.instances[k];
    if (id) world.ec2.putAlarm(name, id);
  });
  return {
    kind: 'asg',
    ...route,
    launchTemplateId: lt.id,
    blue: { autoScalingGroupName: `${app.name}-blue`, targetGroupArn: tgs.blue.arn },
    green: { autoScalingGroupName: `${app.name}-green`, targetGroupArn: tgs.green.arn },
    artifact: app.artifact === 'ami' ? { type: 'ami' } : { type: 'bundle', userDataTemplate: DEFAULT_USER_DATA },
    ...app.greenlight,
  };
}

export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
/** The sidecar of every simulated multi-container task definition (a public image the registry serves). */
export const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0';

/** A container image as CI would push it: pinned by digest, known to contain `version`. */
export function pushImage(world: World, app: string, version: string): string {
  const image = `${REGISTRY}/${app}@sha256:${hexId(`image-${app}-${version}`, 64)}`;
  world.ecs.images.set(image, version);
  return image;
}

/** Long: one ECS app's resources as an account would hold them (clusters, capacity groups, task definition, services, target groups), in creation order. */
function buildEcsApp(world: World, app: EcsScenarioApp, listenerArn: string, index: number) {
  const { tgs, route } = buildRoute(world, app, listenerArn, index);
  const ecs = world.ecs;
  const image = pushImage(world, app.name, app.initialVersion);
  const key = `releases/${app.name}/${app.initialVersion}.json`;
  const versionId = world.s3.putObject(SIM_BUCKET, key, Buffer.from(JSON.stringify({ version: app.initialVersion, images: { [app.containers[0]]: image } }))).versionId;
  const fargate = app.capacity === 'fargate';
  ecs.pullable.add(SIDECAR_IMAGE);
  const td = ecs.registerTaskDefinition(
    {
      family: app.name,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${app.name}-task`,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${app.name}-execution`,
      networkMode: 'awsvpc',
      requiresCompatibilities: [fargate ? 'FARGATE' : 'EC2'],
      cpu: String(app.taskCpu),
      memory: String(app.taskMemory),
      containerDefinitions: app.containers.map((name, i) => ({
        name,
        image: i === 0 ? image : SIDECAR_IMAGE,
        essential: i === 0,
        portMappings: i === 0 ? [{ containerPort: 8080, protocol: 'tcp' }] : [],
        environment: [{ name: 'LOG_LEVEL', value: 'info' }],
        secrets: [{ name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${app.name}-db-AbCdEf` }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': `/ecs/${app.name}`, 'awslogs-region': REGION, 'awslogs-stream-prefix': name } },
      })),
    },
    [{ key: 'greenlight:release', value: releaseDescription({ app: app.name, version: app.initialVersion, artifact: { versionId } as never }) }],
  );

  const colours: Record<'blue' | 'green', { cluster: string; serviceName: string; targetGroupArn: string; autoScalingGroupName?: string }> = {} as never;
  let lt: ReturnType<World['createLaunchTemplate']> | undefined;
  if (!fargate) lt = world.createLaunchTemplate(`${app.name}-ecs`, { ImageId: world.registerImage(null, 'al2023-ecs-optimized').imageId, InstanceType: 'c6i.large' });
  const instances = app.instances ?? Math.ceil(app.tasks / Math.max(1, Math.floor(app.instanceCpu / app.taskCpu)));
  const workers: Record<string, { cluster: string; serviceName: string }> = {};
  for (const colour of ['blue', 'green'] as const) {
    const live = colour === app.live;
    const cluster = fargate ? app.name : `${app.name}-${colour}`;
    ecs.clusters.add(cluster);
    let autoScalingGroupName: string | undefined;
    if (lt) {
      autoScalingGroupName = `${app.name}-${colour}-capacity`;
      world.groups.set(autoScalingGroupName, {
        name: autoScalingGroupName,
        arn: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:${hexId(autoScalingGroupName, 8)}:autoScalingGroupName/${autoScalingGroupName}`,
        min: live ? instances : 0,
        max: instances * 2,
        desired: live ? instances : 0,
        launchTemplateId: lt.id,
        launchTemplateVersion: '1',
        targetGroupArns: [],
        instances: [],
      });
      ecs.clusterOfGroup.set(autoScalingGroupName, { cluster, cpu: app.instanceCpu, memory: app.instanceMemory });
      if (live) {
        const g = world.groups.get(autoScalingGroupName)!;
        world.reconcile(g);
        for (const id of g.instances) {
          Object.assign(world.instances.get(id)!, { state: 'running', lifecycle: 'InService', launchedAt: -3600 });
          // Launched an hour ago, they joined as any launch does: after boot and the agent's start.
          ecs.registerContainerInstance(cluster, id, app.instanceCpu, app.instanceMemory).registeredAt =
            -3600 + world.physics.launchDelaySeconds + world.physics.bootSeconds + ecs.physics.agentSeconds;
        }
      }
      // The greenlight stack creates these hooks on the groups of apps with `scaling:` (deploy/hooks.cjs);
      // the instances already running were launched before.
      const scaling = app.greenlight.scaling as { joinTimeoutSeconds?: number } | undefined;
      if (scaling)
        world.groups.get(autoScalingGroupName)!.hooks = [
          { name: LAUNCH_HOOK, transition: 'launch', heartbeatTimeout: launchHookHeartbeat(scaling.joinTimeoutSeconds ?? 600), defaultResult: 'CONTINUE' },
          { name: TERMINATE_HOOK, transition: 'terminate', heartbeatTimeout: TERMINATE_HOOK_HEARTBEAT_SECONDS, defaultResult: 'CONTINUE' },
        ];

    }
    const serviceName = `${app.name}-${colour}`;
    const svc = ecs.createService({
      name: serviceName,
      cluster,
      taskDefinition: td.arn,
      desiredCount: live ? app.tasks : 0,
      launchType: fargate ? 'FARGATE' : 'EC2',
      loadBalancers: [{ targetGroupArn: tgs[colour].arn, containerName: app.containers[0], containerPort: 8080 }],
    });
    if (live) ecs.startWarm(svc);
    colours[colour] = { cluster, serviceName, targetGroupArn: tgs[colour].arn, ...(autoScalingGroupName ? { autoScalingGroupName } : {}) };
    if (app.workers !== undefined) {
      const worker = ecs.createService({ name: `${app.name}-worker-${colour}`, cluster, taskDefinition: td.arn, desiredCount: live ? app.workers : 0, launchType: fargate ? 'FARGATE' : 'EC2', loadBalancers: [] });
      if (live) ecs.startWarm(worker);
      workers[colour] = { cluster, serviceName: worker.name };
    }
  }
  // Queue workers are quiesced with the colour they belong to (the scenario's retire settings win).
  const greenlight = app.workers === undefined ? app.greenlight : { ...app.greenlight, retire: { ...((app.greenlight.retire as object) ?? {}), quiesce: { workers } } };
  // The task definition's roles (above), which greenlight is told it may pass on, unless the scenario says otherwise.
  const passRoles = [`arn:aws:iam::${ACCOUNT}:role/${app.name}-task`, `arn:aws:iam::${ACCOUNT}:role/${app.name}-execution`];
  return { kind: 'ecs', ...route, capacity: app.capacity, passRoles, blue: colours.blue, green: colours.green, ...greenlight };
}
