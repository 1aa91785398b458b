import { type EcrImageRef, parseEcrImage } from '../core/ecs.js';
// Size: the ECS model (task definitions, services and deployments, tasks, placement, container instances, draining): one service's whole physics.
import { SimAwsError } from './errors.js';
import { ACCOUNT, hexId, type Instance, REGION, type World } from './world.js';

// ECS: clusters, container instances (EC2 instances of a cluster-backing Auto Scaling group
// register after the agent starts), task-definition families, services with rolling
// deployments, tasks (PROVISIONING → PENDING → RUNNING → STOPPED) placed by CPU and memory or on
// Fargate, registered in target groups by IP (awsvpc), crash loops for broken images.

/** How long the ALB keeps a task that died with its instance registered (ECS detection). */
export const ABRUPT_DEREGISTER_SECONDS = 5;

export interface EcsPhysics {
  provisionSeconds: number; // Fargate capacity provisioning
  pullSeconds: number;
  containerStartSeconds: number;
  agentSeconds: number; // ECS agent registration after instance boot
  crashSeconds: number; // a broken image's container exits this long after starting
}

export interface ContainerInstance {
  arn: string;
  cluster: string;
  ec2InstanceId: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  cpu: number;
  memory: number;
  usedCpu: number;
  usedMemory: number;
  registeredAt: number;
}

export interface TaskDefinitionRecord {
  arn: string;
  family: string;
  revision: number;
  def: Record<string, unknown> & { containerDefinitions: { name: string; image: string }[]; cpu?: string; memory?: string; requiresCompatibilities?: string[] };
  tags: { key: string; value: string }[];
  registeredAt: Date;
}

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  failedTasks: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  createdAt: Date;
}

export interface Service {
  arn: string;
  name: string;
  cluster: string;
  status: 'ACTIVE';
  taskDefinition: string;
  desiredCount: number;
  launchType: 'FARGATE' | 'EC2';
  loadBalancers: { targetGroupArn: string; containerName: string; containerPort: number }[];
  deployments: Deployment[];
}

export interface Task {
  arn: string;
  cluster: string;
  service: string;
  deploymentId: string;
  taskDefinition: string;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPED';
  stopping: boolean;
  containerInstance: string | null;
  ip: string;
  cpu: number;
  memory: number;
  version: string | null;
  servesFrom: number | null;
  stoppedReason?: string;
  stoppedAt?: number;
  /** When it turned RUNNING (virtual s); ECS registers it with its target groups then. */
  startedAt?: number;
}

export class EcsModel {
  readonly clusters = new Set<string>();
  readonly containerInstances = new Map<string, ContainerInstance>();
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord>(); // by arn
  readonly services = new Map<string, Service>(); // by cluster/name
  readonly tasks = new Map<string, Task>(); // by arn
  readonly tasksByIp = new Map<string, Task>();
  /** Auto Scaling group → the cluster its instances join (ECS_CLUSTER in user data). */
  readonly clusterOfGroup = new Map<string, { cluster: string; cpu: number; memory: number }>();
  /** Image reference → the app version it contains. */
  readonly images = new Map<string, string>();
  /** Other images the registries serve (sidecars): pullable, no app version of their own. */
  readonly pullable = new Set<string>();

  /**
   * The app version an image reference pulls: the reference as pushed, or `<repository>:<tag>`
   * of an image pushed by digest whose version is that tag (CI tags each push with its version).
   */
  imageVersion(ref: string): string | undefined {
    const exact = this.images.get(ref);
    if (exact !== undefined) return exact;
    const want = parseEcrImage(ref);
    if (!want?.tag) return undefined;
    return this.registryImages().find((im) => im.registryId === want.registryId && im.region === want.region && im.repository === want.repository && im.tags.includes(want.tag!))?.version ?? undefined;
  }

  /** The images pushed to ECR registries, each with its digest and tags (its version is one of them). */
  registryImages(): (EcrImageRef & { digest: string; tags: string[]; version: string })[] {
    const out: (EcrImageRef & { digest: string; tags: string[]; version: string })[] = [];
    for (const [ref, version] of this.images) {
      const im = parseEcrImage(ref);
      if (!im) continue;
      out.push({ ...im, digest: im.digest ?? `sha256:${hexId(`ecr-${ref}`, 64)}`, tags: [...new Set([im.tag, version].filter((t): t is string => !!t))], version });
    }
    return out;
  }

  private canPull(ref: string): boolean {
    return this.imageVersion(ref) !== undefined || this.pullable.has(ref);
  }
  /** Groups whose next N launched instances never join their cluster (agent failure). */
  readonly failJoinNext = new Map<string, number>();
  /** Tasks that were still taking traffic when their instance went away. */
  tasksStoppedWhileServing = 0;
  private n = 0;

  constructor(
    private readonly world: World,
    readonly physics: EcsPhysics,
  ) {
    world.instanceHooks.push({ running: (i) => this.instanceRunning(i), terminating: (i) => this.instanceTerminating(i) });
    const tick = () => {
      for (const s of this.services.values()) this.schedule(s);
      this.world.clock.after(1, tick);
    };
    this.world.clock.after(1, tick);
  }

  private id(prefix: string): string {
    return hexId(`${prefix}${this.n++}`, 32);
  }

  // ===== clusters and container instances =====
  cluster(name: string): string {
    const n = name.includes(':cluster/') ? name.split(':cluster/')[1] : name;
    if (!this.clusters.has(n)) throw new SimAwsError('ClusterNotFoundException', 'Cluster not found.');
    return n;
  }

  private instanceRunning(i: Instance): void {
    const link = i.group ? this.clusterOfGroup.get(i.group) : undefined;
    if (!link) return;
    const failing = this.failJoinNext.get(i.group!) ?? 0;
    if (failing > 0) {
      this.failJoinNext.set(i.group!, failing - 1);
      this.world.note(`${i.id}: the ECS agent never registers (simulated)`);
      return;
    }
    this.world.clock.after(this.physics.agentSeconds, () => {
      if (i.state !== 'running') return;
      this.registerContainerInstance(link.cluster, i.id, link.cpu, link.memory);
    });
  }

  registerContainerInstance(cluster: string, ec2InstanceId: string, cpu: number, memory: number): ContainerInstance {
    const ci: ContainerInstance = {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:container-instance/${cluster}/${this.id('ci')}`,
      cluster,
      ec2InstanceId,
      status: 'ACTIVE',
      cpu,
      memory,
      usedCpu: 0,
      usedMemory: 0,
      registeredAt: this.world.clock.now,
    };
    this.containerInstances.set(ci.arn, ci);
    const active = [...this.containerInstances.values()].filter((c) => c.cluster === cluster && c.status === 'ACTIVE').length;
    this.world.note(`cluster ${cluster}: ${active} container instance${active > 1 ? 's' : ''} ACTIVE`, `ci:${cluster}`);
    return ci;
  }

  /** The instance is going away: its container instance deregisters and its tasks stop. */
  private instanceTerminating(i: Instance): void {
    for (const ci of this.containerInstances.values()) {
      if (ci.ec2InstanceId !== i.id || ci.status === 'INACTIVE') continue;
      ci.status = 'INACTIVE';
      for (const t of this.tasks.values()) {
        if (t.containerInstance !== ci.arn || t.lastStatus === 'STOPPED') continue;
        const serving = [...this.world.elb.targetGroups.values()].some((tg) => {
          const target = tg.targets.get(t.ip);
          return target !== undefined && target.state !== 'draining';
        });
        if (serving) this.tasksStoppedWhileServing++;
        this.stopTask(t, 'Host EC2 instance terminated', false, true);
      }
    }
  }

  /** DRAINING: no new placements; the service scheduler replaces the tasks running there. */
  setContainerInstancesState(cluster: string, arns: string[], status: 'ACTIVE' | 'DRAINING'): ContainerInstance[] {
    const c = this.cluster(cluster);
    if (status !== 'ACTIVE' && status !== 'DRAINING') throw new SimAwsError('InvalidParameterException', 'status must be ACTIVE or DRAINING');
    return arns.map((arn) => {
      const ci = this.containerInstances.get(arn);
      if (!ci || ci.cluster !== c) throw new SimAwsError('InvalidParameterException', `Container instance ${arn} not found in cluster ${c}`);
      if (ci.status !== 'INACTIVE' && ci.status !== status) {
        ci.status = status;
        this.world.note(`container instance of ${ci.ec2InstanceId} ${status}`);
      }
      return ci;
    });
  }

  tasksOn(ci: ContainerInstance): Task[] {
    return [...this.tasks.values()].filter((t) => t.containerInstance === ci.arn && t.lastStatus !== 'STOPPED');
  }

  // ===== task definitions =====
  registerTaskDefinition(input: Record<string, unknown>, tags: { key: string; value: string }[] = []): TaskDefinitionRecord {
    const family = String(input.family ?? '');
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) throw new SimAwsError('ClientException', 'Family contains invalid characters or is empty.');
    const containers = input.containerDefinitions as { name?: string; image?: string }[] | undefined;
    if (!containers?.length) throw new SimAwsError('ClientException', 'Container definitions should not be null or empty.');
    for (const c of containers) {
      if (!c.name) throw new SimAwsError('ClientException', 'Container.name should not be null or empty.');
      if (!c.image) throw new SimAwsError('ClientException', 'Container.image should not be null or empty.');
    }
    const compat = (input.requiresCompatibilities as string[] | undefined) ?? [];
    if (compat.includes('FARGATE') && (input.networkMode !== 'awsvpc' || !input.cpu || !input.memory))
      throw new SimAwsError('ClientException', 'Fargate requires that the network mode is awsvpc and that task-level cpu and memory are set.');
    const revision = [...this.taskDefinitions.values()].filter((t) => t.family === family).length + 1;
    const rec: TaskDefinitionRecord = {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`,
      family,
      revision,
      def: structuredClone(input) as TaskDefinitionRecord['def'],
      tags: structuredClone(tags),
      registeredAt: this.world.clock.date(),
    };
    this.taskDefinitions.set(rec.arn, rec);
    this.world.note(`task definition ${family}:${revision} registered`);
    return rec;
  }

  /** family, family:revision or ARN; a bare family means its latest ACTIVE revision. */
  taskDefinition(ref: string): TaskDefinitionRecord {
    const byArn = this.taskDefinitions.get(ref);
    if (byArn) return byArn;
    const [family, rev] = ref.replace(/^arn:aws:ecs:[^:]+:\d+:task-definition\//, '').split(':');
    const all = [...this.taskDefinitions.values()].filter((t) => t.family === family);
    const found = rev ? all.find((t) => t.revision === Number(rev)) : all[all.length - 1];
    if (!found) throw new SimAwsError('ClientException', 'Unable to describe task definition.');
    return found;
  }

  // ===== services =====
  service(cluster: string, name: string): Service {
    const c = this.cluster(cluster);
    const n = name.includes(':service/') ? name.split('/').pop()! : name;
    const s = this.services.get(`${c}/${n}`);
    if (!s) throw new SimAwsError('ServiceNotFoundException', 'Service not found.');
    return s;
  }

  createService(input: Omit<Service, 'arn' | 'status' | 'deployments'>): Service {
    const s: Service = {
      ...input,
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${input.cluster}/${input.name}`,
      status: 'ACTIVE',
      deployments: [{ id: `ecs-svc/${this.id('dep').slice(0, 19)}`, status: 'PRIMARY', taskDefinition: input.taskDefinition, failedTasks: 0, rolloutState: 'COMPLETED', createdAt: this.world.clock.date() }],
    };
    this.services.set(`${input.cluster}/${input.name}`, s);
    return s;
  }

  updateService(cluster: string, name: string, change: { taskDefinition?: string; desiredCount?: number; forceNewDeployment?: boolean }): Service {
    const s = this.service(cluster, name);
    if (change.desiredCount !== undefined && (!Number.isInteger(change.desiredCount) || change.desiredCount < 0))
      throw new SimAwsError('InvalidParameterException', 'desiredCount must be a non-negative integer.');
    let td = s.taskDefinition;
    if (change.taskDefinition) {
      const rec = this.taskDefinition(change.taskDefinition);
      if (s.launchType === 'FARGATE' && !(rec.def.requiresCompatibilities ?? []).includes('FARGATE'))
        throw new SimAwsError('InvalidParameterException', 'Task definition does not support launch_type FARGATE.');
      td = rec.arn;
    }
    if (change.desiredCount !== undefined && change.desiredCount !== s.desiredCount) {
      this.world.note(`${s.name} desiredCount ${s.desiredCount} → ${change.desiredCount}`);
      this.world.capacityChanges.push({ t: this.world.clock.now, name: s.name, from: s.desiredCount, to: change.desiredCount });
      s.desiredCount = change.desiredCount;
    }
    if (td !== s.taskDefinition || change.forceNewDeployment) {
      for (const d of s.deployments) d.status = 'ACTIVE';
      s.deployments.unshift({ id: `ecs-svc/${this.id('dep').slice(0, 19)}`, status: 'PRIMARY', taskDefinition: td, failedTasks: 0, rolloutState: 'IN_PROGRESS', createdAt: this.world.clock.date() });
      s.taskDefinition = td;
      this.world.note(`${s.name} new deployment of ${td.split('/').pop()}`);
    } else if (s.deployments[0].rolloutState === 'COMPLETED' && change.desiredCount !== undefined) {
      s.deployments[0].rolloutState = 'IN_PROGRESS';
    }
    this.schedule(s);
    return s;
  }

  tasksOf(s: Service): Task[] {
    return [...this.tasks.values()].filter((t) => t.service === s.arn && t.lastStatus !== 'STOPPED');
  }

  counts(s: Service) {
    const ts = this.tasksOf(s);
    return {
      running: ts.filter((t) => t.lastStatus === 'RUNNING').length,
      pending: ts.filter((t) => t.lastStatus === 'PENDING' || t.lastStatus === 'PROVISIONING').length,
      byDeployment: (id: string) => ts.filter((t) => t.deploymentId === id),
    };
  }

  private healthyInLb(s: Service, t: Task): boolean {
    if (t.lastStatus !== 'RUNNING' || t.stopping) return false;
    if (!s.loadBalancers.length) return true;
    return s.loadBalancers.every((lb) => this.world.elb.targetGroups.get(lb.targetGroupArn)?.targets.get(t.ip)?.state === 'healthy');
  }

  private onDrainingHost(t: Task): boolean {
    const ci = t.containerInstance ? this.containerInstances.get(t.containerInstance) : undefined;
    return ci?.status === 'DRAINING';
  }

  /**
   * The service scheduler: rolling replacement with minimumHealthyPercent 100, maximumPercent 200.
   * Tasks of older deployments and tasks on DRAINING instances are replaced the same way: they
   * keep serving until enough replacements are healthy, then stop.
   */
  schedule(s: Service): void {
    const primary = s.deployments[0];
    const live = (id: string) => this.tasksOf(s).filter((t) => t.deploymentId === id && !t.stopping && !this.onDrainingHost(t));
    const mine = live(primary.id);
    if (mine.length < s.desiredCount) for (let k = mine.length; k < s.desiredCount; k++) if (!this.launchTask(s, primary)) break;
    if (mine.length > s.desiredCount) {
      const extra = [...mine].sort((a, b) => Number(this.healthyInLb(s, a)) - Number(this.healthyInLb(s, b))).slice(0, mine.length - s.desiredCount);
      for (const t of extra) this.stopTask(t, 'Scaling activity initiated by deployment', false);
    }
    const healthyPrimary = live(primary.id).filter((t) => this.healthyInLb(s, t)).length;
    let budget = Math.max(0, s.desiredCount - healthyPrimary); // tasks being replaced that may keep serving
    const replaced = this.tasksOf(s).filter((t) => !t.stopping && (t.deploymentId !== primary.id || this.onDrainingHost(t)));
    for (const t of replaced) {
      if (budget > 0 && this.healthyInLb(s, t)) budget--;
      else this.stopTask(t, this.onDrainingHost(t) ? 'Task stopped because the container instance is draining' : `Task stopped by deployment ${primary.id}`, false);
    }
    s.deployments = s.deployments.filter((d, i) => i === 0 || this.tasksOf(s).some((t) => t.deploymentId === d.id));
    if (primary.rolloutState === 'IN_PROGRESS' && s.deployments.length === 1 && healthyPrimary === s.desiredCount && live(primary.id).length === s.desiredCount) {
      primary.rolloutState = 'COMPLETED';
      this.world.note(`${s.name} deployment COMPLETED (${s.desiredCount} task${s.desiredCount === 1 ? '' : 's'})`);
    }
  }

  /** Place a task: Fargate always; EC2 on the ACTIVE container instance with the most room. */
  private place(s: Service, td: TaskDefinitionRecord): { ci: ContainerInstance | null; cpu: number; memory: number } | null {
    const cpu = Number(td.def.cpu ?? 256);
    const memory = Number(td.def.memory ?? 512);
    if (s.launchType === 'FARGATE') return { ci: null, cpu, memory };
    const ci = [...this.containerInstances.values()]
      .filter((c) => c.cluster === s.cluster && c.status === 'ACTIVE' && c.cpu - c.usedCpu >= cpu && c.memory - c.usedMemory >= memory)
      .sort((a, b) => a.usedCpu - b.usedCpu || a.registeredAt - b.registeredAt)[0];
    if (!ci) {
      this.world.note(`${s.name} was unable to place a task because no container instance met all of its requirements`, `noplace:${s.name}`);
      return null;
    }
    ci.usedCpu += cpu;
    ci.usedMemory += memory;
    return { ci, cpu, memory };
  }

  private newTask(s: Service, d: Deployment, td: TaskDefinitionRecord, placed: { ci: ContainerInstance | null; cpu: number; memory: number }): Task {
    const n = this.n++;
    const t: Task = {
      arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${s.cluster}/${this.id('task')}`,
      cluster: s.cluster,
      service: s.arn,
      deploymentId: d.id,
      taskDefinition: td.arn,
      lastStatus: 'PROVISIONING',
      stopping: false,
      containerInstance: placed.ci?.arn ?? null,
      ip: `10.0.${(n >> 8) & 255}.${n & 255}`,
      cpu: placed.cpu,
      memory: placed.memory,
      version: this.imageVersion(td.def.containerDefinitions[0].image) ?? null,
      servesFrom: null,
    };
    this.tasks.set(t.arn, t);
    this.tasksByIp.set(t.ip, t);
    return t;
  }

  /** A service that was already running before the simulation: its tasks are up and healthy. */
  startWarm(s: Service): void {
    const d = s.deployments[0];
    const td = this.taskDefinition(d.taskDefinition);
    for (let k = 0; k < s.desiredCount; k++) {
      const placed = this.place(s, td);
      if (!placed) throw new Error(`scenario: not enough capacity to start ${s.name}`);
      const t = this.newTask(s, d, td, placed);
      Object.assign(t, { lastStatus: 'RUNNING', servesFrom: -3600, startedAt: -3600 });
      for (const lb of s.loadBalancers) {
        this.world.elb.register(lb.targetGroupArn, t.ip);
        const target = this.world.elb.targetGroups.get(lb.targetGroupArn)!.targets.get(t.ip)!;
        Object.assign(target, { state: 'healthy', reason: undefined, okStreak: 99 });
      }
    }
  }

  private launchTask(s: Service, d: Deployment): boolean {
    const td = this.taskDefinition(d.taskDefinition);
    const placed = this.place(s, td);
    if (!placed) return false;
    const t = this.newTask(s, d, td, placed);
    // ECS pulls every container's image; the first that no registry serves stops the task.
    const image = td.def.containerDefinitions.map((c) => c.image).find((im) => !this.canPull(im)) ?? td.def.containerDefinitions[0].image;
    const missing = td.def.containerDefinitions.some((c) => !this.canPull(c.image));
    const p = this.physics;
    const provision = s.launchType === 'FARGATE' ? p.provisionSeconds : 0;
    this.world.clock.after(provision, () => {
      if (t.stopping) return;
      t.lastStatus = 'PENDING';
      this.world.clock.after(p.pullSeconds, () => {
        if (t.stopping) return;
        if (t.version === null || missing) return this.stopTask(t, `CannotPullContainerError: pull image manifest has been retried 5 time(s): ${image}: not found`, true);
        this.world.clock.after(p.containerStartSeconds, () => {
          if (t.stopping) return;
          t.lastStatus = 'RUNNING';
          t.startedAt = this.world.clock.now;
          const broken = this.world.startsBroken(t.arn, t.version);
          if (broken) this.world.clock.after(p.crashSeconds, () => this.stopTask(t, 'Essential container in task exited', true));
          else t.servesFrom = this.world.clock.now + this.world.physics.appStartSeconds;
          for (const lb of s.loadBalancers) this.world.elb.register(lb.targetGroupArn, t.ip);
          const running = this.counts(s).running;
          this.world.note(`${s.name}: ${running} task${running === 1 ? '' : 's'} RUNNING`, `running:${s.name}`);
        });
      });
    });
    return true;
  }

  /** Deregister from the load balancer, wait for the deregistration delay, then stop. */
  stopTask(t: Task, reason: string, failed: boolean, immediately = false): void {
    if (t.stopping || t.lastStatus === 'STOPPED') return;
    t.stopping = true;
    t.stoppedReason = reason;
    t.stoppedAt = this.world.clock.now;
    const s = [...this.services.values()].find((x) => x.arn === t.service);
    if (failed && s) {
      const d = s.deployments.find((x) => x.id === t.deploymentId);
      if (d) d.failedTasks++;
      this.world.note(`${s.name} task ${t.arn.split('/').pop()!.slice(0, 8)} stopped: ${reason}`);
    }
    let delay = 0;
    for (const tg of this.world.elb.targetGroups.values()) {
      const target = tg.targets.get(t.ip);
      if (!target || target.state === 'draining') continue;
      if (failed) {
        tg.targets.delete(t.ip);
        continue;
      }
      if (immediately) {
        // Killed with its host: the target stays registered (requests to it fail) until ECS
        // notices the stopped task and deregisters it.
        this.world.clock.after(ABRUPT_DEREGISTER_SECONDS, () => tg.targets.delete(t.ip));
        continue;
      }
      target.state = 'draining';
      target.reason = 'Target.DeregistrationInProgress';
      target.generation++;
      delay = Math.max(delay, tg.deregistrationDelaySeconds);
      this.world.clock.after(tg.deregistrationDelaySeconds, () => tg.targets.delete(t.ip));
    }
    if (immediately) t.servesFrom = null;
    t.lastStatus = delay ? 'DEACTIVATING' : t.lastStatus;
    this.world.clock.after(delay, () => {
      t.lastStatus = 'STOPPED';
      t.servesFrom = null;
      const ci = t.containerInstance ? this.containerInstances.get(t.containerInstance) : undefined;
      if (ci) {
        ci.usedCpu -= t.cpu;
        ci.usedMemory -= t.memory;
      }
    });
  }

  serving(ip: string): { serving: boolean; version: string | null } | undefined {
    const t = this.tasksByIp.get(ip);
    if (!t) return undefined;
    return { serving: t.lastStatus !== 'STOPPED' && t.servesFrom !== null && this.world.clock.now + 1e-9 >= t.servesFrom, version: t.version };
  }
}
