import { SimAwsError } from './errors.js';
import { type Action, type AlbRouted, type Condition, GOLDEN, type Listener, type Rule, type Target, type TargetGroup, type World } from './world.js';

// Elastic Load Balancing (application load balancers) as the simulator models it: target groups
// and their health checks, listeners and rules, and the routing of each request. The commands
// that answer from it are in services/elbv2.ts; src/sim/README.md lists the behaviours and sources.

export class LoadBalancers {
  readonly targetGroups = new Map<string, TargetGroup>();
  readonly listeners = new Map<string, Listener>();
  readonly rules = new Map<string, Rule>();
  /** Every change of a listener's default actions or a rule's actions, in order. */
  readonly routeChanges: { t: number; arn: string; actions: Action[] }[] = [];

  /** Each time a target's health changed: its group's counts then (for reports and tests). */
  readonly healthChanges: { t: number; targetGroup: string; healthy: number; unhealthy: number; targets: number }[] = [];

  constructor(private readonly world: World) {}

  targetGroup(arn: string): TargetGroup {
    const tg = this.targetGroups.get(arn);
    if (!tg) throw new SimAwsError('TargetGroupNotFound', `Target groups '${arn}' not found`);
    return tg;
  }

  listener(arn: string): Listener {
    const l = this.listeners.get(arn);
    if (!l) throw new SimAwsError('ListenerNotFound', `Listeners '${arn}' not found`);
    return l;
  }

  rule(arn: string): Rule {
    const r = this.rules.get(arn);
    if (!r) throw new SimAwsError('RuleNotFound', `Rules '${arn}' not found`);
    return r;
  }

  /** New targets start `initial`; checks run every interval from registration. */
  register(tgArn: string, id: string): void {
    const tg = this.targetGroup(tgArn);
    const t: Target = { id, state: 'initial', reason: 'Elb.RegistrationInProgress', okStreak: 0, failStreak: 0, registeredAt: this.world.clock.now, generation: 0 };
    tg.targets.set(id, t);
    const gen = t.generation;
    const check = () => {
      if (tg.targets.get(id) !== t || t.generation !== gen || t.state === 'draining') return;
      if (this.world.serving(id)) {
        t.okStreak++;
        t.failStreak = 0;
        if (t.state !== 'healthy' && t.okStreak >= tg.healthCheck.healthyThresholdCount) {
          t.state = 'healthy';
          t.reason = undefined;
          this.noteHealth(tg);
        }
      } else {
        t.failStreak++;
        t.okStreak = 0;
        if (t.state !== 'unhealthy' && t.failStreak >= tg.healthCheck.unhealthyThresholdCount) {
          t.state = 'unhealthy';
          t.reason = 'Target.FailedHealthChecks';
          this.noteHealth(tg);
        }
      }
      this.world.clock.after(tg.healthCheck.intervalSeconds, check);
    };
    this.world.clock.after(tg.healthCheck.intervalSeconds, check);
  }

  private noteHealth(tg: TargetGroup): void {
    const ts = [...tg.targets.values()].filter((t) => t.state !== 'draining');
    const healthy = ts.filter((t) => t.state === 'healthy').length;
    const unhealthy = ts.filter((t) => t.state === 'unhealthy').length;
    this.healthChanges.push({ t: this.world.clock.now, targetGroup: tg.name, healthy, unhealthy, targets: ts.length });
    this.world.note(`${tg.name}: healthy ${healthy}/${ts.length}${unhealthy ? `, unhealthy ${unhealthy}` : ''}`, `health:${tg.name}`);
  }

  validateActions(actions: Action[]): void {
    if (!actions.length) throw new SimAwsError('ValidationError', 'At least one action must be specified');
    for (const a of actions) {
      if (a.Type === 'forward') {
        const groups = a.ForwardConfig?.TargetGroups ?? [];
        if (!a.TargetGroupArn && !groups.length) throw new SimAwsError('ValidationError', 'A target group ARN must be specified for a forward action');
        if (groups.length > 5) throw new SimAwsError('ValidationError', 'A forward action can have at most 5 target groups');
        if (a.TargetGroupArn && groups.length && (groups.length !== 1 || groups[0].TargetGroupArn !== a.TargetGroupArn))
          throw new SimAwsError('ValidationError', 'You cannot specify both TargetGroupArn and a ForwardConfig with a different target group');
        for (const g of groups) {
          if (g.Weight !== undefined && (!Number.isInteger(g.Weight) || g.Weight < 0 || g.Weight > 999))
            throw new SimAwsError('ValidationError', `Target group weight '${g.Weight}' must be between 0 and 999`);
          this.targetGroup(g.TargetGroupArn ?? '');
        }
        if (a.TargetGroupArn) this.targetGroup(a.TargetGroupArn);
        if (new Set(groups.map((g) => g.TargetGroupArn)).size !== groups.length)
          throw new SimAwsError('ValidationError', 'A target group cannot be specified more than once in a forward action');
      } else if (a.Type === 'authenticate-oidc') {
        const c = (a.AuthenticateOidcConfig ?? {}) as { ClientSecret?: string; UseExistingClientSecret?: boolean };
        if (!c.ClientSecret && !c.UseExistingClientSecret) throw new SimAwsError('ValidationError', 'A client secret must be specified');
      } else if (!['fixed-response', 'redirect', 'authenticate-cognito'].includes(String(a.Type))) {
        throw new SimAwsError('ValidationError', `Action type '${a.Type}' is not valid`);
      }
    }
  }

  /** As Describe returns them: a forward action has both TargetGroupArn (if single) and ForwardConfig. */
  describeActions(actions: Action[]): Action[] {
    return actions.map((a) => {
      if (a.Type !== 'forward') {
        if (a.Type === 'authenticate-oidc') {
          const { ClientSecret: _s, UseExistingClientSecret: _u, ...rest } = (a.AuthenticateOidcConfig ?? {}) as Record<string, unknown>;
          return { ...a, AuthenticateOidcConfig: rest };
        }
        return structuredClone(a);
      }
      const groups = a.ForwardConfig?.TargetGroups?.length
        ? a.ForwardConfig.TargetGroups.map((g) => ({ TargetGroupArn: g.TargetGroupArn, Weight: g.Weight ?? 1 }))
        : [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }];
      return {
        Type: 'forward',
        ...(a.Order !== undefined ? { Order: a.Order } : {}),
        ...(groups.length === 1 ? { TargetGroupArn: groups[0].TargetGroupArn } : {}),
        ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: a.ForwardConfig?.TargetGroupStickinessConfig ?? { Enabled: false } },
      };
    });
  }

  /** The shared load balancer's DNS name (scenarios have one ALB). */
  readonly lbDnsName = 'shared-alb.sim.internal';
  /** Versions whose instances pass the load balancer's health check but fail any other path with 500. */
  readonly smokeFailVersions = new Set<string>();

  /**
   * The load balancer's routing of one request, the one both HTTP checks through a listener and
   * the synthetic client use: the first matching rule (else the default action); a fixed
   * response as configured; a forward picks a target group by weight (`pick` in [0, 1)), then
   * one of its healthy targets round robin; when none is healthy ALB fails open, to any target
   * that is not draining; a group with no target at all answers 503.
   */
  albRoute(listenerArn: string, host: string, path: string, pick: number): AlbRouted {
    const actions = this.describeActions(this.routeFor(listenerArn, host, path.split('?')[0]));
    const fixed = actions.find((a) => a.Type === 'fixed-response') as { FixedResponseConfig?: { StatusCode?: string; MessageBody?: string } } | undefined;
    if (fixed) return { fixed: { status: Number(fixed.FixedResponseConfig?.StatusCode ?? 200), body: fixed.FixedResponseConfig?.MessageBody ?? '' } };
    const forward = actions.find((a) => a.Type === 'forward');
    const groups = (forward?.ForwardConfig?.TargetGroups ?? []).filter((g) => (g.Weight ?? 0) > 0);
    const total = groups.reduce((n, g) => n + (g.Weight ?? 0), 0);
    if (!total) return { target: null, failOpen: false };
    const x = pick * total;
    let chosen = groups[groups.length - 1];
    for (let acc = 0, k = 0; k < groups.length; k++) {
      acc += groups[k].Weight ?? 0;
      if (x < acc) {
        chosen = groups[k];
        break;
      }
    }
    const tg = this.targetGroups.get(chosen.TargetGroupArn ?? '');
    if (!tg) return { target: null, failOpen: false };
    const live = [...tg.targets.values()].filter((t) => t.state !== 'draining');
    const healthy = live.filter((t) => t.state === 'healthy');
    const pool = healthy.length ? healthy : live;
    if (!pool.length) return { target: null, failOpen: true, targetGroup: tg };
    const i = this.roundRobin.get(tg.arn) ?? 0;
    this.roundRobin.set(tg.arn, i + 1);
    return { target: pool[i % pool.length], failOpen: !healthy.length, targetGroup: tg };
  }

  /** Where the load balancer's round robin is, per target group. */
  private readonly roundRobin = new Map<string, number>();
  /** HTTP checks' own weight sequence (low-discrepancy: exact shares without randomness). */
  private httpSeq = 0;

  /** An HTTP request to the load balancer's listener on `port` (smoke checks, preview URLs). */
  httpViaAlb(port: number, host: string, path: string): { status: number; body: string } {
    const listener = [...this.listeners.values()].find((l) => l.port === port);
    if (!listener) return { status: 0, body: '' };
    const r = this.albRoute(listener.arn, host, path, (this.httpSeq++ * GOLDEN) % 1);
    if ('fixed' in r) return r.fixed;
    if (!r.target) return { status: 503, body: 'Service Unavailable' };
    if (!this.world.serving(r.target.id)) return { status: 502, body: 'Bad Gateway' };
    const version = this.world.versionOf(r.target.id) ?? '';
    return this.smokeFailVersions.has(version) ? { status: 500, body: `error ${version} ${path}` } : { status: 200, body: `ok ${version} ${path}` };
  }

  /** Whether a listener rule routes this host name (so its DNS would point at the ALB). */
  routesHost(host: string): boolean {
    return [...this.rules.values()].some((r) => r.conditions.some((c) => matchesHost(c, host)));
  }

  /** The actions a request for `host` and `path` would follow on this listener: the first rule by priority whose every condition matches, else the default. */
  routeFor(listenerArn: string, host: string, path = '/'): Action[] {
    const rules = [...this.rules.values()].filter((r) => r.listenerArn === listenerArn).sort((a, b) => a.priority - b.priority);
    for (const r of rules) {
      if (r.conditions.every((c) => matchesHost(c, host) || matchesPath(c, path))) return r.actions;
    }
    return this.listener(listenerArn).defaultActions;
  }
}


/** ALB wildcards: `*` any run of characters, `?` one character. */
function wildcard(v: string, flags: string): RegExp {
  return new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);
}

/** Path patterns are case-sensitive and match the path without the query string. */
function matchesPath(c: Condition, path: string): boolean {
  if (c.Field !== 'path-pattern') return false;
  const values = (c.PathPatternConfig as { Values?: string[] } | undefined)?.Values ?? c.Values ?? [];
  return values.some((v) => wildcard(v, '').test(path));
}

function matchesHost(c: Condition, host: string): boolean {
  if (c.Field !== 'host-header') return false;
  const values = c.HostHeaderConfig?.Values ?? c.Values ?? [];
  return values.some((v) => wildcard(v, 'i').test(host));
}
