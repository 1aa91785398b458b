import { mulberry32, type VirtualClock } from './clock.js';
import { GOLDEN, type World } from './world.js';

// A synthetic client: every virtual second it sends each app's requests through the listener.
// Each request follows the route's weights to a target group, then goes to one of its healthy
// targets (all targets if none is healthy: ALB fails open); it fails when that target does not
// answer, or when there is no target at all (503). A target that answers takes a response time
// and may answer 5xx, as its version's `responses` say (seeded, a stream of its own so other
// randomness is unchanged); each target group's RequestCount, HTTPCode_Target_5XX_Count and
// TargetResponseTime are kept per minute for CloudWatch (src/sim/services/cloudwatch.ts).

/** How a version's targets answer: this share of 5xx, response times log-normal around a median. */
export interface Responses {
  errorRate: number;
  latencyMs: number;
  latencySigma: number;
}

/** One target group's minute: what ALB publishes as RequestCount, HTTPCode_Target_5XX_Count, TargetResponseTime. */
export interface MinuteMetrics {
  requests: number;
  errors5xx: number;
  latencySumMs: number;
}

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
  /** Per target group ARN, per minute (its start, virtual seconds): what its targets answered. */
  readonly metrics = new Map<string, Map<number, MinuteMetrics>>();
  /** Requests answered 5xx by a target (the app's own errors, not the deployer's). */
  targetErrors = 0;
  private readonly random: () => number;

  constructor(
    private readonly world: World,
    private readonly clock: VirtualClock,
    private readonly sources: TrafficSource[],
    private readonly responses: (version: string) => Responses = () => ({ errorRate: 0, latencyMs: 40, latencySigma: 0 }),
    seed = 1,
  ) {
    for (const s of sources) this.seconds.set(s.app, []);
    this.random = mulberry32(seed * 7919 + 17);
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
    if (!w.serving(target.id)) return null;
    const version = w.versionOf(target.id);
    if (version !== null && r.targetGroup) this.answer(r.targetGroup.arn, version);
    return version;
  }

  /** A target of this group answered: its response time and status, into the group's minute. */
  private answer(targetGroupArn: string, version: string): void {
    const { errorRate, latencyMs, latencySigma } = this.responses(version);
    const groups = this.metrics.get(targetGroupArn) ?? new Map<number, MinuteMetrics>();
    this.metrics.set(targetGroupArn, groups);
    const minute = Math.floor(this.clock.now / 60) * 60;
    const m = groups.get(minute) ?? { requests: 0, errors5xx: 0, latencySumMs: 0 };
    groups.set(minute, m);
    m.requests++;
    if (errorRate > 0 && this.random() < errorRate) {
      m.errors5xx++;
      this.targetErrors++;
    }
    m.latencySumMs += latencySigma > 0 ? latencyMs * Math.exp(latencySigma * this.gaussian()) : latencyMs;
  }

  /** A standard normal draw (Box-Muller). */
  private gaussian(): number {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
