// Size: EC2 instances and Auto Scaling groups are one physics here (launch, boot, lifecycle hooks, health, termination), with the account's shared state (clock, timeline, serials). S3 (s3.ts), ELB (elb.ts), ECS (ecs.ts) and EC2 servers (ec2.ts) have their own files.

import { createHash } from 'node:crypto';
import type { VirtualClock } from './clock.js';
import { SimDynamoDB } from './dynamodb.js';
import type { Ec2Model } from './ec2.js';
import type { EcsModel } from './ecs.js';
import { LoadBalancers } from './elb.js';
import { SimAwsError } from './errors.js';
import { type Bucket, type ObjectVersion, S3Model } from './s3.js';
import type { MinuteMetrics } from './traffic.js';

export type { Bucket, ObjectVersion };

// The simulated AWS account: state plus the physics (boot, health checks, draining, scaling).
// Each behaviour follows AWS's documentation; src/sim/README.md lists them with sources.

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export function hexId(seed: string, len = 16): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, len);
}

// ---------- EC2 ----------
export interface Image {
  imageId: string;
  /** App version baked into the image, or null for a base image that fetches a bundle at boot. */
  version: string | null;
  name: string;
  state?: 'pending' | 'available' | 'deregistered';
  tags?: Record<string, string>;
  created?: Date;
  sourceInstance?: string;
  /** The owning account (this one when absent), and an alias such as "amazon". */
  ownerId?: string;
  ownerAlias?: string;
}
export interface LaunchTemplateData {
  ImageId?: string;
  InstanceType?: string;
  UserData?: string;
  [k: string]: unknown;
}
export interface LaunchTemplateVersion {
  number: number;
  description?: string;
  data: LaunchTemplateData;
  created: Date;
}
export interface LaunchTemplate {
  id: string;
  name: string;
  versions: Map<number, LaunchTemplateVersion>;
  defaultVersion: number;
  latestVersion: number;
  clientTokens: Map<string, { number: number; fingerprint: string }>;
}
export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated';
export interface Instance {
  id: string;
  group: string | null;
  launchTemplateId: string;
  launchTemplateVersion: number;
  imageId: string;
  state: InstanceState | 'stopping' | 'stopped';
  lifecycle: 'Pending' | 'Pending:Wait' | 'Pending:Proceed' | 'InService' | 'Terminating' | 'Terminating:Wait' | 'Terminating:Proceed' | 'Terminated';
  launchedAt: number;
  /** Virtual time from which the app answers requests; null if it never will. */
  servesFrom: number | null;
  version: string | null;
  whyNotServing?: string;
  inServiceAt?: number;
  privateIp?: string;
  tags?: Record<string, string>;
  userData?: string;
  runningSince?: number;
  bootGen?: number;
  terminatedAt?: number;
  /** A failed status check: the instance is up but the app and the checks fail. */
  impaired?: boolean;
  /** The Availability Zone a group launched it in (groups balance across AVAILABILITY_ZONES). */
  az?: string;
  /** The open lifecycle action (Pending:Wait or Terminating:Wait). */
  action?: { hook: string; token: string; transition: 'launch' | 'terminate'; started: number; heartbeats: number; gen: number };
}

// ---------- Auto Scaling ----------

/** The Availability Zones of every simulated Auto Scaling group. */
export const AVAILABILITY_ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
export interface Group {
  name: string;
  arn: string;
  min: number;
  max: number;
  desired: number;
  launchTemplateId: string;
  launchTemplateVersion: string; // "3", "$Latest" or "$Default"
  targetGroupArns: string[];
  instances: string[]; // instance ids, launch order
  hooks?: LifecycleHook[];
  /** Suspended scaling processes (recorded; their effects are not modelled). */
  suspended?: Set<string>;
}

export interface LifecycleHook {
  name: string;
  transition: 'launch' | 'terminate';
  heartbeatTimeout: number;
  defaultResult: 'CONTINUE' | 'ABANDON';
}

// ---------- ELBv2 ----------
export interface HealthCheck {
  intervalSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
}
/** Where the load balancer sent one request: a fixed response, or a target (null: 503). */
export type AlbRouted = { fixed: { status: number; body: string } } | { target: Target | null; failOpen: boolean; targetGroup?: TargetGroup };

/** The golden ratio's fractional part: successive multiples spread evenly over [0, 1). */
export const GOLDEN = 0.6180339887498949;

export interface Target {
  id: string;
  state: 'initial' | 'healthy' | 'unhealthy' | 'draining';
  reason?: string;
  okStreak: number;
  failStreak: number;
  registeredAt: number;
  generation: number;
}
export interface TargetGroup {
  arn: string;
  name: string;
  port: number;
  healthCheck: HealthCheck;
  deregistrationDelaySeconds: number;
  targets: Map<string, Target>;
}
export interface Action {
  Type?: string;
  Order?: number;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[]; TargetGroupStickinessConfig?: unknown };
  [k: string]: unknown;
}
export interface Condition {
  Field?: string;
  Values?: string[];
  HostHeaderConfig?: { Values?: string[] };
  [k: string]: unknown;
}
export interface Listener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  defaultActions: Action[];
}
export interface Rule {
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: Condition[];
  actions: Action[];
  tags?: Record<string, string>;
}

export interface Physics {
  bootSeconds: number;
  appStartSeconds: number;
  launchDelaySeconds: number;
}

export interface TimelineEntry {
  t: number;
  text: string;
  key?: string;
}

export class World {
  /** S3: the buckets and their object versions. */
  readonly s3 = new S3Model(this);
  readonly images = new Map<string, Image>();
  readonly launchTemplates = new Map<string, LaunchTemplate>();
  readonly instances = new Map<string, Instance>();
  readonly groups = new Map<string, Group>();
  /** IAM instance profiles by name: the role each carries (launch templates name profiles). */
  readonly instanceProfiles = new Map<string, string>();
  readonly brokenVersions = new Set<string>();
  /** Versions of which only a share of instances or tasks never answer (the rest are fine). */
  readonly flakyVersions = new Map<string, { share: number; started: number }>();
  /** Instances and tasks that drew a bad start (a flaky version's share). */
  private readonly badStarts = new Set<string>();
  /**
   * What the load balancer publishes to CloudWatch per target group and minute (the synthetic
   * client's requests, src/sim/traffic.ts), and how long after its minute ends a data point
   * can be read.
   */
  targetMetrics = new Map<string, Map<number, MinuteMetrics>>();
  metricDelaySeconds = 60;

  /** Whether this instance or task (by id) of `version` never answers: a broken version, or its flaky share. */
  startsBroken(id: string, version: string | null): boolean {
    if (version === null) return false;
    if (this.brokenVersions.has(version)) return true;
    if (this.badStarts.has(id)) return true;
    const f = this.flakyVersions.get(version);
    if (!f) return false;
    // Exactly `share` of the starts fail, spread evenly: start n fails when floor((n+1)·share) grows.
    const n = f.started++;
    const bad = Math.floor((n + 1) * f.share + 1e-9) > Math.floor(n * f.share + 1e-9);
    if (bad) this.badStarts.add(id);
    return bad;
  }
  /**
   * Tags by resource ARN, for the resources whose records keep none of their own: groups, launch
   * templates, listeners, services and Elastic IPs (IAM's aws:ResourceTag condition reads them).
   */
  readonly resourceTags = new Map<string, Record<string, string>>();

  /**
   * A resource's tags as IAM's aws:ResourceTag sees them. A container instance carries its EC2
   * instance's tags, which include its group's (Auto Scaling's PropagateAtLaunch, then the ECS
   * agent's ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance).
   */
  tagsOf(arn: string): Record<string, string> {
    const own = this.resourceTags.get(arn) ?? this.elb.rules.get(arn)?.tags ?? {};
    const ci = this.ecs?.containerInstances.get(arn);
    if (!ci) return own;
    const instance = this.instances.get(ci.ec2InstanceId);
    const group = instance?.group ? this.groups.get(instance.group) : undefined;
    return { ...(group ? this.resourceTags.get(group.arn) : {}), ...(instance?.tags ?? {}), ...own };
  }
  readonly timeline: TimelineEntry[] = [];
  /** Every change of a group's desired capacity or a service's desired count, as the API took it (for reports and tests). */
  readonly capacityChanges: { t: number; name: string; from: number; to: number }[] = [];
  /** Other models (ECS) follow instances through these. */
  readonly instanceHooks: { running?: (i: Instance) => void; terminating?: (i: Instance) => void }[] = [];
  /** The ECS model, when the scenario has ECS apps. */
  ecs!: EcsModel;
  /** Elastic IPs, standalone instances, images, status checks, alarms. */
  ec2!: Ec2Model;
  /** greenlight's own table (locks and history). */
  readonly dynamodb = new SimDynamoDB();
  /** Elastic Load Balancing: target groups and their health checks, listeners, rules, routing. */
  readonly elb = new LoadBalancers(this);
  /** Events put on the default bus (PutEvents), and SNS messages published, in order. */
  readonly published: { t: number; source: string; detailType: string; detail: unknown }[] = [];
  readonly snsTopics = new Set<string>();
  /** Targets (instance ids, task IPs) that stopped answering (a scenario's failTargets step). */
  readonly hung = new Set<string>();
  /** Powertools Metrics EMF documents the handlers emitted. */
  readonly metrics: { t: number; emf: object }[] = [];
  readonly snsMessages: { t: number; topicArn: string; subject?: string; message: string; attributes: Record<string, string> }[] = [];
  /** Called for every PutEvents entry (the EventBridge model routes it to matching rules). */
  onPutEvent: (e: { source: string; 'detail-type': string; detail: Record<string, unknown>; resources: string[] }) => void = () => {};
  /** Lifecycle actions: started, completed by API (continued / abandoned), timed out. */
  readonly lifecycleCounts = { started: 0, continued: 0, abandoned: 0, timedOut: 0 };
  /** Called for every lifecycle action (the EventBridge model subscribes). */
  onLifecycleEvent: (e: { 'detail-type': string; resources: string[]; detail: Record<string, unknown> }) => void = () => {};
  /** Called for every S3 object created (the EventBridge model subscribes). */
  private counter = 0;

  constructor(
    readonly clock: VirtualClock,
    readonly physics: Physics,
  ) {}

  /** Add a timeline line; a line with the same key at the same instant replaces the previous one. */
  note(text: string, key?: string): void {
    const last = this.timeline[this.timeline.length - 1];
    if (key && last && last.key === key && last.t === this.clock.now) last.text = text;
    else this.timeline.push({ t: this.clock.now, text, key });
  }

  /** The account's one serial number (ids, S3 versions and sequencers draw from it, in order). */
  serial(): number {
    return this.counter++;
  }

  private nextId(prefix: string, len = 17): string {
    return `${prefix}${hexId(`${prefix}${this.counter++}`, len)}`;
  }

  // ===== EC2 =====
  registerImage(version: string | null, name: string): Image {
    const img: Image = { imageId: this.nextId('ami-'), version, name, state: 'available', tags: {}, created: this.clock.date() };
    this.images.set(img.imageId, img);
    return img;
  }

  createLaunchTemplate(name: string, data: LaunchTemplateData, description?: string): LaunchTemplate {
    const lt: LaunchTemplate = {
      id: this.nextId('lt-'),
      name,
      versions: new Map([[1, { number: 1, description, data, created: this.clock.date() }]]),
      defaultVersion: 1,
      latestVersion: 1,
      clientTokens: new Map(),
    };
    this.launchTemplates.set(lt.id, lt);
    return lt;
  }

  launchTemplate(id: string): LaunchTemplate {
    if (!/^lt-[0-9a-f]+$/.test(id)) throw new SimAwsError('InvalidLaunchTemplateId.Malformed', `The launch template ID '${id}' is malformed.`);
    const lt = this.launchTemplates.get(id);
    if (!lt) throw new SimAwsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    return lt;
  }

  resolveVersion(lt: LaunchTemplate, spec: string): LaunchTemplateVersion {
    const n = spec === '$Latest' ? lt.latestVersion : spec === '$Default' ? lt.defaultVersion : Number(spec);
    const v = Number.isInteger(n) ? lt.versions.get(n) : undefined;
    if (!v) throw new SimAwsError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${spec} for template ${lt.id}.`);
    return v;
  }

  createLaunchTemplateVersion(ltId: string, source: string | undefined, data: LaunchTemplateData, description?: string, clientToken?: string): LaunchTemplateVersion {
    const lt = this.launchTemplate(ltId);
    const fingerprint = JSON.stringify([source, data, description]);
    if (clientToken) {
      const prior = lt.clientTokens.get(clientToken);
      if (prior && prior.fingerprint !== fingerprint)
        throw new SimAwsError('IdempotentParameterMismatch', 'The client token has already been used with different parameters.');
      if (prior) return lt.versions.get(prior.number)!;
    }
    if (data.ImageId && !this.images.has(data.ImageId)) {
      // EC2 accepts the version; the launch fails later. We mirror that (see README).
    }
    const base = source ? this.resolveVersion(lt, source).data : {};
    const number = lt.latestVersion + 1;
    const v: LaunchTemplateVersion = { number, description, data: { ...base, ...data }, created: this.clock.date() };
    lt.versions.set(number, v);
    lt.latestVersion = number;
    if (clientToken) lt.clientTokens.set(clientToken, { number, fingerprint });
    this.note(`launch template ${lt.name} version ${number} created (${description ?? 'no description'})`);
    return v;
  }

  /** What the instance will run: an AMI with the version baked in, or a bundle named in user data. */
  private appVersionFor(data: LaunchTemplateData): { version: string | null; why?: string } {
    const img = data.ImageId ? this.images.get(data.ImageId) : undefined;
    if (!img) return { version: null, why: `image ${data.ImageId} does not exist` };
    const userData = data.UserData ? Buffer.from(data.UserData, 'base64').toString('utf8') : '';
    const uri = /s3:\/\/([a-z0-9.-]+)\/(\S+?)(?=["'\s]|$)/.exec(userData);
    const vid = /(?:version-id|versionId|VERSION_ID)[=\s"':]+([A-Za-z0-9._-]+)/.exec(userData);
    // A bundle applied at boot replaces whatever app the image had baked in.
    if ((!uri || !vid) && img.version) return { version: img.version };
    if (!uri || !vid) return { version: null, why: 'user data names no s3:// bundle and version id' };
    try {
      this.s3.getObject(uri[1], uri[2], vid[1]);
    } catch {
      return { version: null, why: `bundle s3://${uri[1]}/${uri[2]} version ${vid[1]} not found` };
    }
    const m = /^releases\/[^/]+\/(.+?)\.(tar\.gz|tgz|zip)$/.exec(uri[2]);
    return m ? { version: m[1] } : { version: null, why: `cannot tell the version of ${uri[2]}` };
  }

  // ===== Auto Scaling =====
  group(name: string): Group {
    const g = this.groups.get(name);
    if (!g) throw new SimAwsError('ValidationError', `AutoScalingGroup name not found - ${name}`);
    return g;
  }

  updateGroup(name: string, change: { min?: number; max?: number; desired?: number; launchTemplate?: { id: string; version: string } }): void {
    const g = this.group(name);
    const min = change.min ?? g.min;
    const max = change.max ?? g.max;
    let desired = change.desired ?? g.desired;
    // Documented: changing only min/max moves desired inside the new bounds.
    if (change.desired === undefined) desired = Math.min(Math.max(desired, min), max);
    if (min > max) throw new SimAwsError('ValidationError', `Max bound, ${max}, must be greater than or equal to min bound, ${min}`);
    if (desired < min || desired > max)
      throw new SimAwsError('ValidationError', `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`);
    if (change.launchTemplate) {
      const lt = this.launchTemplate(change.launchTemplate.id);
      this.resolveVersion(lt, change.launchTemplate.version);
      g.launchTemplateId = lt.id;
      g.launchTemplateVersion = change.launchTemplate.version;
    }
    const before = g.desired;
    Object.assign(g, { min, max, desired });
    if (before !== desired) {
      this.note(`${g.name} desired ${before} → ${desired}`);
      this.capacityChanges.push({ t: this.clock.now, name: g.name, from: before, to: desired });
    }
    this.reconcile(g);
  }

  /** SetInstanceHealth Unhealthy: Auto Scaling terminates and replaces the instance. */
  setInstanceHealth(instanceId: string, status: string): void {
    const i = this.instances.get(instanceId);
    if (!i?.group || i.lifecycle.startsWith('Terminat')) throw new SimAwsError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    if (status !== 'Unhealthy' && status !== 'Healthy') throw new SimAwsError('ValidationError', 'HealthStatus must be Healthy or Unhealthy');
    if (status === 'Healthy') return;
    this.note(`${i.group} ${i.id} marked Unhealthy: replacing it`);
    this.beginTermination(i);
    this.reconcile(this.group(i.group));
  }

  terminateInGroup(instanceId: string, decrement: boolean): Instance {
    const i = this.instances.get(instanceId);
    if (!i?.group || i.lifecycle.startsWith('Terminat'))
      throw new SimAwsError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    const g = this.group(i.group);
    if (decrement) {
      if (g.desired - 1 < g.min)
        throw new SimAwsError('ValidationError', `Currently, desiredSize equals minSize (${g.min}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`);
      g.desired -= 1;
    }
    this.beginTermination(i);
    this.reconcile(g);
    return i;
  }

  private liveMembers(g: Group): Instance[] {
    return g.instances.map((id) => this.instances.get(id)!).filter((i) => i.lifecycle.startsWith('Pending') || i.lifecycle === 'InService');
  }

  /** Launch or terminate until the group has `desired` Pending/InService instances. */
  reconcile(g: Group): void {
    const members = this.liveMembers(g);
    if (members.length < g.desired) {
      for (let k = members.length; k < g.desired; k++) this.launch(g);
    } else if (members.length > g.desired) {
      // The default termination policy, one victim at a time: the Availability Zone with the
      // most instances; in it, the oldest launch template version; then the instance closest to
      // its next billing hour; then at random.
      const left = [...members];
      for (let k = members.length; k > g.desired; k--) {
        const perAz = new Map<string, number>();
        for (const m of left) perAz.set(m.az ?? '', (perAz.get(m.az ?? '') ?? 0) + 1);
        const most = Math.max(...perAz.values());
        let pool = left.filter((m) => perAz.get(m.az ?? '') === most);
        const oldest = Math.min(...pool.map((m) => m.launchTemplateVersion));
        pool = pool.filter((m) => m.launchTemplateVersion === oldest);
        const toHour = (m: Instance) => 3600 - ((this.clock.now - m.launchedAt) % 3600);
        const nearest = Math.min(...pool.map(toHour));
        pool = pool.filter((m) => toHour(m) - nearest < 1e-6);
        const victim = pool[Math.floor(Math.random() * pool.length)];
        left.splice(left.indexOf(victim), 1);
        this.beginTermination(victim);
      }
    }
  }

  private launch(g: Group): Instance {
    // Auto Scaling launches into the Availability Zone with the fewest of the group's instances.
    const counts = AVAILABILITY_ZONES.map((az) => this.liveMembers(g).filter((m) => m.az === az).length);
    const az = AVAILABILITY_ZONES[counts.indexOf(Math.min(...counts))];
    const i = this.launchInstance({ group: g, launchTemplateId: g.launchTemplateId, version: g.launchTemplateVersion });
    i.az = az;
    return i;
  }

  /** A new instance from a launch template version (with overrides), in a group or standalone. */
  launchInstance(o: { group?: Group; launchTemplateId: string; version: string; overrides?: LaunchTemplateData; tags?: Record<string, string> }): Instance {
    const g = o.group;
    const lt = this.launchTemplate(o.launchTemplateId);
    const ltv = this.resolveVersion(lt, o.version);
    const data = { ...ltv.data, ...(o.overrides ?? {}) };
    const image = data.ImageId ? this.images.get(data.ImageId) : undefined;
    if (data.ImageId && (!image || image.state === 'deregistered')) throw new SimAwsError('InvalidAMIID.NotFound', `The image id '[${data.ImageId}]' does not exist`);
    if (image?.state === 'pending') throw new SimAwsError('InvalidAMIID.Unavailable', `The image id '[${data.ImageId}]' is not available yet`);
    const app = this.appVersionFor(data);
    const broken = app.version !== null && this.brokenVersions.has(app.version);
    const hook = g?.hooks?.find((h) => h.transition === 'launch');
    const n = this.counter;
    const i: Instance = {
      id: this.nextId('i-'),
      group: g?.name ?? null,
      launchTemplateId: lt.id,
      launchTemplateVersion: ltv.number,
      imageId: data.ImageId ?? '',
      state: 'pending',
      lifecycle: hook ? 'Pending:Wait' : 'Pending',
      launchedAt: this.clock.now,
      servesFrom: null,
      version: app.version,
      whyNotServing: broken ? `version ${app.version} is broken` : app.why,
      privateIp: `10.1.${(n >> 8) & 255}.${n & 255}`,
      // EC2 tags an instance launched from a launch template with the template's id and version.
      tags: { ...(o.tags ?? {}), 'aws:ec2launchtemplate:id': lt.id, 'aws:ec2launchtemplate:version': String(ltv.number) },
      userData: data.UserData,
    };
    this.instances.set(i.id, i);
    if (g) g.instances.push(i.id);
    if (g && hook) this.startAction(g, i, hook);
    this.boot(i, () => {
      for (const h of this.instanceHooks) h.running?.(i);
      if (g && (i.lifecycle === 'Pending' || i.lifecycle === 'Pending:Proceed')) this.enterService(g, i);
    });
    return i;
  }

  /** pending → running after the boot time; the app answers appStartSeconds later (unless broken). */
  boot(i: Instance, then?: () => void): void {
    const { bootSeconds, appStartSeconds, launchDelaySeconds } = this.physics;
    i.bootGen = (i.bootGen ?? 0) + 1;
    const gen = i.bootGen;
    this.clock.after((i.group ? launchDelaySeconds : 0) + bootSeconds, () => {
      if (i.state !== 'pending' || i.bootGen !== gen) return;
      i.state = 'running';
      i.runningSince = this.clock.now;
      const broken = this.startsBroken(i.id, i.version);
      if (broken && !this.brokenVersions.has(i.version!)) i.whyNotServing = `this ${i.version} instance never answers (a flaky share)`;
      if (i.version && !broken && !i.impaired) i.servesFrom = this.clock.now + appStartSeconds;
      then?.();
    });
  }

  /** InService: registered with the group's target groups. */
  private enterService(g: Group, i: Instance): void {
    i.lifecycle = 'InService';
    const now = g.instances.filter((id) => this.instances.get(id)?.inServiceAt === this.clock.now).length + 1;
    i.inServiceAt = this.clock.now;
    this.note(`${g.name}: ${now} instance${now > 1 ? 's' : ''} InService${i.version ? ` (${i.version})` : ''}`, `inservice:${g.name}`);
    for (const tg of g.targetGroupArns) this.elb.register(tg, i.id);
  }

  /** Deregister from every target group, wait for the longest deregistration delay, then the
   * terminate lifecycle hook (Terminating:Wait) if the group has one, then terminate. */
  private beginTermination(i: Instance, skipHooks = false): void {
    if (i.lifecycle.startsWith('Terminat')) return;
    // A launch action still open (Pending:Wait) ends here without completion: the instance never
    // entered service. Counted as abandoned, as the launch hook's caller would see it.
    if (i.action?.transition === 'launch') {
      this.lifecycleCounts.abandoned++;
      i.action = undefined;
    }
    i.lifecycle = 'Terminating';
    let delay = 0;
    for (const tg of this.elb.targetGroups.values()) {
      const t = tg.targets.get(i.id);
      if (t && t.state !== 'draining') {
        t.state = 'draining';
        t.reason = 'Target.DeregistrationInProgress';
        t.generation++;
        delay = Math.max(delay, tg.deregistrationDelaySeconds);
        this.clock.after(tg.deregistrationDelaySeconds, () => tg.targets.delete(i.id));
      }
    }
    const g = i.group ? this.groups.get(i.group) : undefined;
    const hook = skipHooks ? undefined : g?.hooks?.find((h) => h.transition === 'terminate');
    this.clock.after(delay, () => {
      if (g && hook) {
        i.lifecycle = 'Terminating:Wait';
        this.startAction(g, i, hook);
      } else this.terminate(i);
    });
  }

  private terminate(i: Instance): void {
    if (i.state === 'terminated') return;
    i.lifecycle = 'Terminating:Proceed';
    for (const h of this.instanceHooks) h.terminating?.(i);
    i.state = 'terminated';
    i.lifecycle = 'Terminated';
    i.servesFrom = null;
    if (i.group) {
      const g = this.groups.get(i.group)!;
      g.instances = g.instances.filter((x) => x !== i.id);
    }
  }

  // ===== lifecycle hooks =====
  private startAction(g: Group, i: Instance, hook: LifecycleHook): void {
    const token = hexId(`token-${i.id}-${hook.name}-${this.counter++}`, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    i.action = { hook: hook.name, token, transition: hook.transition, started: this.clock.now, heartbeats: 0, gen: 0 };
    this.armActionTimeout(g, i, hook);
    this.lifecycleCounts.started++;
    this.onLifecycleEvent({
      'detail-type': hook.transition === 'launch' ? 'EC2 Instance-launch Lifecycle Action' : 'EC2 Instance-terminate Lifecycle Action',
      resources: [g.arn],
      detail: {
        LifecycleActionToken: token,
        AutoScalingGroupName: g.name,
        LifecycleHookName: hook.name,
        EC2InstanceId: i.id,
        LifecycleTransition: hook.transition === 'launch' ? 'autoscaling:EC2_INSTANCE_LAUNCHING' : 'autoscaling:EC2_INSTANCE_TERMINATING',
        Origin: hook.transition === 'launch' ? 'EC2' : 'AutoScalingGroup',
        Destination: hook.transition === 'launch' ? 'AutoScalingGroup' : 'EC2',
      },
    });
  }

  /** DefaultResult applies when the heartbeat timeout lapses; at most 100 heartbeats or 48 h. */
  private armActionTimeout(g: Group, i: Instance, hook: LifecycleHook): void {
    const a = i.action!;
    const gen = a.gen;
    const globalEnd = a.started + Math.min(100 * hook.heartbeatTimeout, 48 * 3600);
    const at = Math.min(this.clock.now + hook.heartbeatTimeout, globalEnd);
    this.clock.at(at, () => {
      if (i.action !== a || a.gen !== gen) return;
      this.lifecycleCounts.timedOut++;
      this.note(`${g.name} ${i.id} lifecycle action timed out: ${hook.defaultResult}`);
      this.finishAction(g, i, hook.defaultResult);
    });
  }

  private findAction(groupName: string, hookName: string, token?: string, instanceId?: string): { g: Group; i: Instance; hook: LifecycleHook } {
    const g = this.group(groupName);
    const hook = g.hooks?.find((h) => h.name === hookName);
    if (!hook) throw new SimAwsError('ValidationError', `No Lifecycle Hook found with name ${hookName} for group ${groupName}`);
    const i = g.instances
      .map((id) => this.instances.get(id)!)
      .find((x) => x.action?.hook === hookName && (token ? x.action.token === token : x.id === instanceId));
    if (!i) throw new SimAwsError('ValidationError', `No active Lifecycle Action found with ${token ? `token ${token}` : `instance ID ${instanceId}`}`);
    return { g, i, hook };
  }

  completeLifecycleAction(groupName: string, hookName: string, result: 'CONTINUE' | 'ABANDON', token?: string, instanceId?: string): void {
    if (result !== 'CONTINUE' && result !== 'ABANDON') throw new SimAwsError('ValidationError', 'LifecycleActionResult must be CONTINUE or ABANDON');
    const { g, i } = this.findAction(groupName, hookName, token, instanceId);
    this.lifecycleCounts[result === 'CONTINUE' ? 'continued' : 'abandoned']++;
    this.finishAction(g, i, result);
  }

  recordHeartbeat(groupName: string, hookName: string, token?: string, instanceId?: string): void {
    const { g, i, hook } = this.findAction(groupName, hookName, token, instanceId);
    const a = i.action!;
    a.heartbeats++;
    a.gen++;
    this.armActionTimeout(g, i, hook);
  }

  private finishAction(g: Group, i: Instance, result: 'CONTINUE' | 'ABANDON'): void {
    const a = i.action!;
    i.action = undefined;
    if (a.transition === 'terminate') {
      this.terminate(i);
      return;
    }
    if (result === 'ABANDON') {
      this.note(`${g.name} ${i.id} launch abandoned: terminating and replacing it`);
      this.beginTermination(i, true);
      this.reconcile(g);
      return;
    }
    i.lifecycle = 'Pending:Proceed';
    if (i.state === 'running') this.enterService(g, i);
  }

  /** The load balancer's view of a target (an instance id, or an ECS task's IP): does it answer? */
  serving(targetId: string): boolean {
    if (this.hung.has(targetId)) return false;
    const i = this.instances.get(targetId);
    if (i) return i.state === 'running' && i.servesFrom !== null && this.clock.now + 1e-9 >= i.servesFrom;
    return this.ecs?.serving(targetId)?.serving ?? false;
  }

  /** The app version a target runs. */
  versionOf(targetId: string): string | null {
    return this.instances.get(targetId)?.version ?? this.ecs?.serving(targetId)?.version ?? null;
  }

}
