import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsResourceNotFound } from '../core/errors.js';
import type { TargetHealth } from '../core/fleet.js';
import type { RouteAction } from '../core/route.js';
import { call } from './errors.js';

/** A route is a listener's default actions, or the actions of one of its rules. */
export interface RouteRef {
  listenerArn: string;
  ruleArn?: string;
}

export async function readRoute(elb: ElasticLoadBalancingV2Client, route: RouteRef): Promise<RouteAction[]> {
  if (route.ruleArn) {
    const out = await call(`elasticloadbalancing:DescribeRules ${route.ruleArn}`, () => elb.send(new DescribeRulesCommand({ RuleArns: [route.ruleArn!] })));
    const rule = out.Rules?.[0];
    if (!rule) throw new AwsResourceNotFound(`listener rule ${route.ruleArn} not found: check ruleArn in the config`);
    return (rule.Actions ?? []) as RouteAction[];
  }
  const out = await call(`elasticloadbalancing:DescribeListeners ${route.listenerArn}`, () =>
    elb.send(new DescribeListenersCommand({ ListenerArns: [route.listenerArn] })),
  );
  const listener = out.Listeners?.[0];
  if (!listener) throw new AwsResourceNotFound(`listener ${route.listenerArn} not found: check listenerArn in the config`);
  return (listener.DefaultActions ?? []) as RouteAction[];
}

export async function writeRoute(elb: ElasticLoadBalancingV2Client, route: RouteRef, actions: RouteAction[]): Promise<void> {
  if (route.ruleArn) {
    await call(`elasticloadbalancing:ModifyRule ${route.ruleArn}`, () => elb.send(new ModifyRuleCommand({ RuleArn: route.ruleArn!, Actions: actions as Action[] })));
    return;
  }
  await call(`elasticloadbalancing:ModifyListener ${route.listenerArn}`, () =>
    elb.send(new ModifyListenerCommand({ ListenerArn: route.listenerArn, DefaultActions: actions as Action[] })),
  );
}

export async function targetHealth(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<TargetHealth[]> {
  const out = await call(`elasticloadbalancing:DescribeTargetHealth ${targetGroupArn}`, () =>
    elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
  );
  return (out.TargetHealthDescriptions ?? []).map((d) => ({ id: d.Target?.Id ?? '', state: String(d.TargetHealth?.State ?? 'unavailable') }));
}

/** The target groups that exist among `arns` (a missing one is simply absent). */
export async function existingTargetGroups(elb: ElasticLoadBalancingV2Client, arns: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const arn of arns) {
    try {
      const out = await call(`elasticloadbalancing:DescribeTargetGroups ${arn}`, () => elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] })));
      for (const tg of out.TargetGroups ?? []) if (tg.TargetGroupArn) found.add(tg.TargetGroupArn);
    } catch (err) {
      if (!(err instanceof AwsResourceNotFound)) throw err;
    }
  }
  return found;
}
