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
  healthCheck: HealthCheckTiming | null;
  /** When the last of green's targets registered (epoch ms), if known. */
  lastRegisteredAt: number | null;
}

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
  // The first check instant at or after the threshold that is still ahead.
  const first = v.lastRegisteredAt + needed + CHECK_MARGIN_MS;
  const k = first > v.now ? 0 : Math.floor((v.now - first) / rounds) + 1;
  const at = first + k * rounds;
  return cap(v, { at, why: `the last target registered at ${new Date(v.lastRegisteredAt).toISOString()}: its check ${hc.healthyThresholdCount + k} can turn it healthy` });
}

function cap(v: GreenView, next: { at: number; why: string }) {
  return next.at > v.deadline ? { at: Math.max(v.now, v.deadline) + 1000, why: `${next.why} (capped at the deadline)` } : next;
}
