import type { Colour } from './config.js';
import { InvalidInput } from './errors.js';

// Pure decisions about an ALB route (a listener's default actions or one rule's actions).
// Structural types only: the adapters pass the SDK's Action objects straight through.

export interface ForwardTargetGroup {
  TargetGroupArn?: string;
  Weight?: number;
}
export interface RouteAction {
  Type?: string;
  Order?: number;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: ForwardTargetGroup[]; TargetGroupStickinessConfig?: { Enabled?: boolean; DurationSeconds?: number } };
  AuthenticateOidcConfig?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Weights {
  blue: number;
  green: number;
}

/** The forward action's target groups with effective weights (ALB treats a missing weight as 1... of one group: 100%). */
export function forwardWeights(actions: readonly RouteAction[]): Map<string, number> {
  const forward = actions.filter((a) => a.Type === 'forward');
  if (forward.length !== 1) throw new InvalidInput(`the route has ${forward.length} forward actions; greenlight needs exactly one`);
  const f = forward[0];
  const groups = f.ForwardConfig?.TargetGroups?.length ? f.ForwardConfig.TargetGroups : f.TargetGroupArn ? [{ TargetGroupArn: f.TargetGroupArn, Weight: 1 }] : [];
  const out = new Map<string, number>();
  for (const g of groups) if (g.TargetGroupArn) out.set(g.TargetGroupArn, (out.get(g.TargetGroupArn) ?? 0) + (g.Weight ?? 1));
  return out;
}

export function colourWeights(actions: readonly RouteAction[], app: { blue: { targetGroupArn: string }; green: { targetGroupArn: string } }): Weights {
  const w = forwardWeights(actions);
  for (const [tg, weight] of w) {
    if (weight > 0 && tg !== app.blue.targetGroupArn && tg !== app.green.targetGroupArn)
      throw new InvalidInput(`the route forwards to ${tg}, which is neither the blue nor the green target group of this app: fix listenerArn/ruleArn or the colours in the config`);
  }
  return { blue: w.get(app.blue.targetGroupArn) ?? 0, green: w.get(app.green.targetGroupArn) ?? 0 };
}

/** Which colour takes production traffic. The load balancer is the only source of this truth. */
export function liveColour(weights: Weights): Colour | 'split' | 'none' {
  if (weights.blue > 0 && weights.green === 0) return 'blue';
  if (weights.green > 0 && weights.blue === 0) return 'green';
  if (weights.blue > 0 && weights.green > 0) return 'split';
  return 'none';
}

export function other(c: Colour): Colour {
  return c === 'blue' ? 'green' : 'blue';
}

/**
 * The same actions, with the forward action sending `percent` % to `to` and the rest to `from`.
 * Everything else (order, authentication, stickiness) is kept; an OIDC action keeps its
 * existing client secret, which Describe never returns.
 */
export function shiftedActions(actions: readonly RouteAction[], to: string, from: string, percent = 100): RouteAction[] {
  return actions.map((a) => {
    if (a.Type === 'authenticate-oidc' && a.AuthenticateOidcConfig)
      return { ...a, AuthenticateOidcConfig: { ...a.AuthenticateOidcConfig, ClientSecret: undefined, UseExistingClientSecret: true } };
    if (a.Type !== 'forward') return a;
    const { TargetGroupArn: _single, ...rest } = a;
    return {
      ...rest,
      ForwardConfig: {
        ...(a.ForwardConfig?.TargetGroupStickinessConfig ? { TargetGroupStickinessConfig: a.ForwardConfig.TargetGroupStickinessConfig } : {}),
        TargetGroups: [
          { TargetGroupArn: to, Weight: percent },
          { TargetGroupArn: from, Weight: 100 - percent },
        ],
      },
    };
  });
}

/** True when the read-back route sends exactly `percent` % of traffic to `to`. */
export function routeSends(actions: readonly RouteAction[], to: string, from: string, percent = 100): boolean {
  const w = forwardWeights(actions);
  const total = [...w.values()].reduce((s, x) => s + x, 0);
  if (total === 0) return false;
  const share = ((w.get(to) ?? 0) * 100) / total;
  const rest = [...w.entries()].filter(([tg]) => tg !== to && tg !== from).reduce((s, [, x]) => s + x, 0);
  return Math.abs(share - percent) < 1e-9 && rest === 0;
}

export interface ShiftStep {
  percent: number;
  bakeSeconds: number;
}

/** The weights green goes through, ending at 100 %; each step bakes before the next. */
export function shiftSteps(t: { strategy: string; percent?: number; bakeSeconds?: number; stepPercent?: number; intervalSeconds?: number; steps?: ShiftStep[] }): ShiftStep[] {
  switch (t.strategy) {
    case 'canary':
      return [
        { percent: t.percent!, bakeSeconds: t.bakeSeconds! },
        { percent: 100, bakeSeconds: 0 },
      ];
    case 'linear': {
      const out: ShiftStep[] = [];
      for (let p = t.stepPercent!; p < 100; p += t.stepPercent!) out.push({ percent: p, bakeSeconds: t.intervalSeconds! });
      out.push({ percent: 100, bakeSeconds: 0 });
      return out;
    }
    case 'custom':
      return t.steps!.map((s, k, all) => (k === all.length - 1 ? { ...s, bakeSeconds: 0 } : s));
    default:
      return [{ percent: 100, bakeSeconds: 0 }];
  }
}

/** A listener rule as far as precedence is concerned. */
export interface RuleConditions {
  arn: string;
  priority: number;
  hosts: string[];
  paths: string[];
  otherConditions: number;
}

/** ALB wildcard matching: `*` any run of characters, `?` one; hosts ignore case. */
function wildcardMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  return re.test(value);
}

/** Whether every value `mine` can take is matched by one of `theirs` (no condition on their side matches everything). */
function covers(theirs: string[], mine: string[], ignoreCase: boolean): boolean {
  if (theirs.length === 0) return true;
  if (mine.length === 0) return theirs.some((t) => t === '*' || t === '/*');
  return mine.every((m) => theirs.some((t) => t === m || wildcardMatches(t, m, ignoreCase)));
}

/**
 * The rule evaluated before `mine` that takes every request `mine` would get: a lower priority
 * number, hosts and paths that cover all of mine's, and no other condition. null when none does.
 */
export function shadowingRule(rules: readonly RuleConditions[], mineArn: string): RuleConditions | null {
  const mine = rules.find((r) => r.arn === mineArn);
  if (!mine) return null;
  return (
    rules
      .filter((r) => r.arn !== mine.arn && r.priority < mine.priority && r.otherConditions === 0)
      .sort((a, b) => a.priority - b.priority)
      .find((r) => covers(r.hosts, mine.hosts, true) && covers(r.paths, mine.paths, false)) ?? null
  );
}
