import type { VirtualClock } from './clock.js';
import { GOLDEN, type World } from './world.js';

// A synthetic client: every virtual second it sends each app's requests through the listener.
// Each request follows the route's weights to a target group, then goes to one of its healthy
// targets (all targets if none is healthy: ALB fails open); it fails when that target does not
// answer, or when there is no target at all (503).

export interface Second {
  t: number;
  total: number;
  failed: number;
  versions: Record<string, number>;
  /** Targets (or tasks, or the eip server) answering production traffic this second: healthy ones in target groups with weight. */
  serving: number;
  /** Weighted target groups with no healthy target this second. */
  unhealthyGroups: number;
}

export interface TrafficSource {
  app: string;
  /** eip apps: requests go to whichever instance holds this address. */
  allocationId?: string;
  listenerArn: string;
  host: string;
  /** The path requested (rules may match on it). */
  path?: string;
  requestsPerSecond: number;
}


export class Traffic {
  readonly seconds = new Map<string, Second[]>();
  /** Requests the load balancer could only send to a target group with no healthy target. */
  toColourWithoutHealthyTarget = 0;
  private seq = 0;
  stopped = false;

  constructor(
    private readonly world: World,
    private readonly clock: VirtualClock,
    private readonly sources: TrafficSource[],
  ) {
    for (const s of sources) this.seconds.set(s.app, []);
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      for (const s of this.sources) this.send(s);
      this.clock.after(1, tick);
    };
    this.clock.after(1, tick);
  }

  stop(): void {
    this.stopped = true;
  }

  private send(s: TrafficSource): void {
    const rec: Second = { t: this.clock.now, total: 0, failed: 0, versions: {}, ...this.capacity(s) };
    for (let k = 0; k < s.requestsPerSecond; k++) {
      rec.total++;
      const version = this.request(s);
      if (version === null) rec.failed++;
      else rec.versions[version] = (rec.versions[version] ?? 0) + 1;
    }
    this.seconds.get(s.app)!.push(rec);
  }

  /** What serves the app's production route now. */
  private capacity(s: TrafficSource): { serving: number; unhealthyGroups: number } {
    const w = this.world;
    if (s.allocationId) {
      const holder = w.ec2.address(s.allocationId).instanceId;
      return { serving: holder && w.serving(holder) ? 1 : 0, unhealthyGroups: 0 };
    }
    const forward = w.elb.describeActions(w.elb.routeFor(s.listenerArn, s.host, s.path ?? '/')).find((a) => a.Type === 'forward');
    let serving = 0;
    let unhealthyGroups = 0;
    for (const g of forward?.ForwardConfig?.TargetGroups ?? []) {
      if ((g.Weight ?? 0) <= 0) continue;
      const tg = w.elb.targetGroups.get(g.TargetGroupArn ?? '');
      const healthy = tg ? [...tg.targets.values()].filter((t) => t.state === 'healthy' && w.serving(t.id)).length : 0;
      serving += healthy;
      if (!healthy) unhealthyGroups++;
    }
    return { serving, unhealthyGroups };
  }

  /** The version that answered, or null for a failed request. */
  private request(s: TrafficSource): string | null {
    const w = this.world;
    if (s.allocationId) {
      const holder = w.ec2.address(s.allocationId).instanceId;
      return holder && w.serving(holder) ? w.versionOf(holder) : null;
    }
    // Low-discrepancy sequence: exact weight shares without randomness.
    const r = w.elb.albRoute(s.listenerArn, s.host, s.path ?? '/', (this.seq++ * GOLDEN) % 1);
    if ('fixed' in r) return null;
    if (r.failOpen) this.toColourWithoutHealthyTarget++;
    if (!r.target) return null;
    const target = r.target;
    return w.serving(target.id) ? w.versionOf(target.id) : null;
  }
}
