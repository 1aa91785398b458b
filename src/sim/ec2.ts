import { SimAwsError } from './errors.js';
import { hexId, type Instance, type World } from './world.js';

// EC2 beyond Auto Scaling: Elastic IPs, standalone instances (run, stop, start, terminate),
// images made from instances, status checks, an HTTP view of the app, and CloudWatch alarms on
// StatusCheckFailed.

export interface Ec2Physics {
  /** After an instance is running, its status checks report `initializing` this long. */
  statusCheckSeconds: number;
  stopSeconds: number;
  imageSeconds: number;
  /** StatusCheckFailed is published per minute; an alarm fires after this many seconds of failure. */
  alarmSeconds: number;
}

export interface Address {
  allocationId: string;
  publicIp: string;
  instanceId: string | null;
  associationId: string | null;
}

export interface Alarm {
  name: string;
  /** Status alarms watch one instance; an app alarm (a scenario's `alarms`) is set by steps. */
  instanceId: string | null;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  failingSince: number | null;
  /** A composite alarm (DescribeAlarms returns it only when AlarmTypes asks for CompositeAlarm). */
  composite?: boolean;
}

export class Ec2Model {
  readonly addresses = new Map<string, Address>();
  readonly alarms = new Map<string, Alarm>();
  /** Every alarm state change, in order (the invariants read which alarms were in ALARM when). */
  readonly alarmChanges: { t: number; name: string; state: Alarm['state'] }[] = [];
  readonly clientTokens = new Map<string, string>();
  /** Alarm state changes go to EventBridge. */
  onAlarm: (alarm: Alarm, previous: string) => void = () => {};
  private n = 0;

  constructor(
    private readonly world: World,
    readonly physics: Ec2Physics,
  ) {
    const tick = () => {
      this.evaluateAlarms();
      this.world.clock.after(10, tick);
    };
    this.world.clock.after(10, tick);
  }

  instance(id: string): Instance {
    const i = this.world.instances.get(id);
    if (!i || (i.state === 'terminated' && this.world.clock.now - (i.terminatedAt ?? 0) > 3600))
      throw new SimAwsError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return i;
  }

  // ===== Elastic IPs =====
  allocate(): Address {
    const n = this.n++;
    const a: Address = { allocationId: `eipalloc-${hexId(`eip${n}`, 17)}`, publicIp: `203.0.113.${10 + n}`, instanceId: null, associationId: null };
    this.addresses.set(a.allocationId, a);
    return a;
  }

  address(allocationId: string): Address {
    const a = this.addresses.get(allocationId);
    if (!a) throw new SimAwsError('InvalidAllocationID.NotFound', `The allocation ID '${allocationId}' does not exist`);
    return a;
  }

  /** One call moves the address (AllowReassociation); the instance must be running. */
  associate(allocationId: string, instanceId: string, allowReassociation: boolean): Address {
    const a = this.address(allocationId);
    const i = this.instance(instanceId);
    if (i.state !== 'running') throw new SimAwsError('IncorrectInstanceState', `The instance '${instanceId}' is not in a valid state for this operation.`);
    if (a.instanceId && a.instanceId !== instanceId && !allowReassociation)
      throw new SimAwsError('Resource.AlreadyAssociated', `resource ${allocationId} is already associated with associate-id ${a.associationId}`);
    if (a.instanceId !== instanceId) {
      a.instanceId = instanceId;
      a.associationId = `eipassoc-${hexId(`assoc${this.n++}`, 17)}`;
      this.world.note(`Elastic IP ${a.publicIp} → ${instanceId} (${i.version ?? 'no app'})`);
    }
    return a;
  }

  // ===== instances =====
  stop(i: Instance): void {
    if (i.state === 'stopped' || i.state === 'stopping') return;
    if (i.state !== 'running' && i.state !== 'pending') throw new SimAwsError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be stopped.`);
    i.state = 'stopping';
    i.servesFrom = null;
    this.detachFrom(i);
    this.world.clock.after(this.physics.stopSeconds, () => {
      if (i.state === 'stopping') i.state = 'stopped';
    });
    this.world.note(`${i.id} (${i.version}) stopping`);
  }

  start(i: Instance): void {
    if (i.state === 'running' || i.state === 'pending') return;
    if (i.state !== 'stopped') throw new SimAwsError('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be started.`);
    i.state = 'pending';
    i.impaired = false;
    this.world.boot(i);
    this.world.note(`${i.id} (${i.version}) starting`);
  }

  terminate(i: Instance): void {
    if (i.state === 'terminated') return;
    i.state = 'terminated';
    i.lifecycle = 'Terminated';
    i.servesFrom = null;
    i.terminatedAt = this.world.clock.now;
    this.detachFrom(i);
    this.world.note(`${i.id} (${i.version}) terminated`);
  }

  /** A stopped or terminated instance loses its Elastic IP association (EC2-VPC keeps it on stop; we model the release on terminate only). */
  private detachFrom(i: Instance): void {
    if (i.state !== 'terminated') return;
    for (const a of this.addresses.values()) if (a.instanceId === i.id) Object.assign(a, { instanceId: null, associationId: null });
  }

  /** Status checks: initializing for a while after running, then ok, or impaired after a fault. */
  status(i: Instance): { instance: string; system: string } {
    if (i.state !== 'running') return { instance: 'not-applicable', system: 'not-applicable' };
    if (i.impaired) return { instance: 'impaired', system: 'ok' };
    if (this.world.clock.now < (i.runningSince ?? 0) + this.physics.statusCheckSeconds) return { instance: 'initializing', system: 'initializing' };
    return { instance: 'ok', system: 'ok' };
  }

  /** The instance's status check fails and its app stops answering (e.g. a kernel or disk fault). */
  impair(i: Instance): void {
    i.impaired = true;
    i.servesFrom = null;
    this.world.note(`${i.id} (${i.version}) fails its instance status check`);
  }

  // ===== images =====
  createImage(instanceId: string, name: string, noReboot: boolean, tags: Record<string, string>) {
    const i = this.instance(instanceId);
    if (!/^[A-Za-z0-9()[\]./\-'@_ ]{3,128}$/.test(name)) throw new SimAwsError('InvalidAMIName.Malformed', `AMI name ${name} is invalid`);
    if ([...this.world.images.values()].some((img) => img.name === name && img.state !== 'deregistered'))
      throw new SimAwsError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by another AMI`);
    // The image copies the disk: the app version the instance runs.
    const img = this.world.registerImage(i.version, name);
    Object.assign(img, { state: 'pending', tags, created: this.world.clock.date(), sourceInstance: i.id });
    if (!noReboot && i.state === 'running') {
      // Without NoReboot EC2 reboots the instance for a consistent snapshot: it stops answering.
      i.servesFrom = null;
      this.world.note(`${i.id} reboots for CreateImage (NoReboot false)`);
      this.world.clock.after(this.world.physics.bootSeconds, () => {
        if (i.state === 'running' && !i.impaired) i.servesFrom = this.world.clock.now + this.world.physics.appStartSeconds;
      });
    }
    this.world.clock.after(this.physics.imageSeconds, () => {
      if (img.state === 'pending') img.state = 'available';
    });
    this.world.note(`image ${name} (${img.imageId}) creating from ${i.id}`);
    return img;
  }

  // ===== HTTP =====
  http(ip: string, port: number, path: string): { status: number; body: string } {
    const i = [...this.world.instances.values()].find((x) => x.privateIp === ip && x.state !== 'terminated');
    if (!i || !this.world.serving(i.id) || port <= 0) return { status: 0, body: '' };
    return { status: 200, body: `ok ${i.version} ${path}` };
  }

  // ===== CloudWatch alarms on StatusCheckFailed =====
  putAlarm(name: string, instanceId: string): void {
    const prior = this.alarms.get(name);
    this.alarms.set(name, { name, instanceId, state: prior?.instanceId === instanceId ? prior.state : 'INSUFFICIENT_DATA', failingSince: null });
  }

  /** An app alarm (e.g. target 5xx) changes state, as a scenario step says. */
  setAlarm(name: string, state: Alarm['state']): void {
    const a = this.alarms.get(name) ?? { name, instanceId: null, state: 'INSUFFICIENT_DATA' as const, failingSince: null };
    this.alarms.set(name, a);
    if (a.state === state) return;
    const previous = a.state;
    a.state = state;
    this.alarmChanges.push({ t: this.world.clock.now, name, state });
    this.world.note(`alarm ${name}: ${previous} → ${state}`);
    this.onAlarm(a, previous);
  }

  private evaluateAlarms(): void {
    for (const a of this.alarms.values()) {
      if (a.instanceId === null) continue;
      const i = this.world.instances.get(a.instanceId);
      const failing = !!i && i.state === 'running' && this.status(i).instance === 'impaired';
      if (failing) a.failingSince ??= this.world.clock.now;
      else a.failingSince = null;
      const next = failing && this.world.clock.now - a.failingSince! >= this.physics.alarmSeconds ? 'ALARM' : failing ? a.state : i?.state === 'running' ? 'OK' : a.state;
      if (next !== a.state) {
        const previous = a.state;
        a.state = next;
        this.world.note(`alarm ${a.name}: ${previous} → ${next}`);
        this.onAlarm(a, previous);
      }
    }
  }
}
