// When to look at green again (pure). A target group marks a target healthy only at one of its
// health checks, every `intervalSeconds` from its registration, after `healthyThresholdCount`
// passes in a row (Elastic Load Balancing, "Health checks for your target groups"). So green
// cannot be healthy before its last target registered plus interval × threshold, and after
// that only at a check instant: greenlight sleeps until the next such instant (plus a margin)
// instead of polling on a fixed period. Where it cannot tell when the targets registered, it
// polls every `pollSeconds` as before.

export interface HealthCheckTiming {
  intervalSeconds: number;
  healthyThresholdCount: number;
  /** Absent in a state written before greenlight read it: the bake is then watched every poll. */
  unhealthyThresholdCount?: number;
}

export interface GreenView {
  /** Now, epoch ms. */
  now: number;
  pollSeconds: number;
  /** Green's deadline, epoch ms: never sleep past it (the check there rolls back). */
  deadline: number;
  desired: number;
  /** Members in service (registered with the target group). */
  inService: number;
  /** ecs: members the target group reports healthy (green may still wait on its service's own view, the rollout). */
  healthy?: number;
  healthCheck: HealthCheckTiming | null;
  /** When the last of green's targets registered (epoch ms), if known. */
  lastRegisteredAt: number | null;
  /** lastRegisteredAt is only a lower bound (a sample of the targets): once its instant passed, poll. */
  lastRegisteredIsLowerBound?: boolean;
}

/** Green healthy in its target group but its service not settled yet: look again this soon. */
export const SETTLE_MS = 1000;

/** After a check instant, how long until the target group's answer reflects it. */
export const CHECK_MARGIN_MS = 250;

/** The next time to look at green (epoch ms), and why then. */
export function nextGreenCheck(v: GreenView): { at: number; why: string } {
  const poll = { at: v.now + v.pollSeconds * 1000, why: `poll every ${v.pollSeconds} s` };
  const hc = v.healthCheck;
  if (!hc || v.desired === 0) return cap(v, poll);
  const rounds = hc.intervalSeconds * 1000;
  const needed = rounds * hc.healthyThresholdCount;
  if (v.inService < v.desired) {
    // A target that registers from now on is healthy no sooner than needed from now.
    return cap(v, { at: v.now + needed, why: `${v.desired - v.inService} target(s) not registered yet: healthy no sooner than ${hc.healthyThresholdCount} × ${hc.intervalSeconds} s from now` });
  }
  if (v.lastRegisteredAt === null) return cap(v, poll);
  const first = v.lastRegisteredAt + needed + CHECK_MARGIN_MS;
  // Healthy in the target group, not ready yet: only the service's own view lags (ECS marks its
  // deployment COMPLETED at its next look). Look again soon, for at most one poll period after
  // green could turn healthy (then back to the poll: a settle that takes longer is not seconds).
  if ((v.healthy ?? 0) >= v.desired && v.now < first + v.pollSeconds * 1000)
    return cap(v, { at: v.now + SETTLE_MS, why: 'every target healthy; waiting for the service to report its rollout complete' });
  // From a sample, the instant may come before the last target's: after it, poll (not the grid).
  if (v.lastRegisteredIsLowerBound && first <= v.now) return cap(v, { ...poll, why: `${poll.why} (the sampled targets can be healthy now; the rest registered later)` });
  // The first check instant at or after the threshold that is still ahead.
  const k = first > v.now ? 0 : Math.floor((v.now - first) / rounds) + 1;
  const at = first + k * rounds;
  return cap(v, { at, why: `the last target registered at ${new Date(v.lastRegisteredAt).toISOString()}: its check ${hc.healthyThresholdCount + k} can turn it healthy` });
}

function cap(v: GreenView, next: { at: number; why: string }) {
  return next.at > v.deadline ? { at: Math.max(v.now, v.deadline) + 1000, why: `${next.why} (capped at the deadline)` } : next;
}

/**
 * How often a baking traffic step looks at green. A failing target is marked unhealthy only
 * after `unhealthyThresholdCount` failed checks `intervalSeconds` apart, so looking more often
 * than that window learns nothing sooner from the load balancer than once per window does; the
 * look adds at most one window to the load balancer's own detection. Never more often than
 * `pollSeconds`; guard alarms stop a bake at once through their events, whatever this is.
 */
export function bakeWatchSeconds(hc: HealthCheckTiming | null | undefined, pollSeconds: number): number {
  if (!hc?.unhealthyThresholdCount) return pollSeconds;
  return Math.max(pollSeconds, hc.intervalSeconds * hc.unhealthyThresholdCount);
}

export interface BakeLook {
  /** When to look next (ISO): the next watch, or the end of the bake. */
  nextAt: string;
  /** The look at nextAt is the bake's end: the next traffic step goes then, with its own health guard. */
  last: boolean;
}

/**
 * The next look during a bake from `startsAt` to `endsAt` (epoch ms), watched every
 * `watchSeconds`: on a grid from the bake's start, so the looks do not drift by the time each
 * look itself takes.
 */
export function nextBakeLook(now: number, startsAt: number, endsAt: number, watchSeconds: number): BakeLook {
  const window = watchSeconds * 1000;
  const next = startsAt + (Math.floor(Math.max(0, now - startsAt) / window) + 1) * window;
  // A look in the last window would be followed at once by the next step's own look: skip it.
  return next >= endsAt ? { nextAt: new Date(Math.max(now, endsAt)).toISOString(), last: true } : { nextAt: new Date(next).toISOString(), last: false };
}
