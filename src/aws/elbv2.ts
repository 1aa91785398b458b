import {
  type Action,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsResourceNotFound } from '../core/errors.js';
import type { TargetHealth } from '../core/fleet.js';
import type { HealthCheckTiming } from '../core/green-timing.js';
import type { RouteAction } from '../core/route.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';
import { tagMap } from './tags.js';

registerClient('elbv2', (config) => new ElasticLoadBalancingV2Client(config));

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

/** A target group's health check timing: a target turns healthy only at a check, after `healthyThresholdCount` passes in a row. */
export async function healthCheckOf(elb: ElasticLoadBalancingV2Client, targetGroupArn: string): Promise<HealthCheckTiming | null> {
  const out = await call(`elasticloadbalancing:DescribeTargetGroups ${targetGroupArn}`, () => elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })));
  const tg = out.TargetGroups?.[0];
  if (!tg?.HealthCheckIntervalSeconds || !tg.HealthyThresholdCount) return null;
  return { intervalSeconds: tg.HealthCheckIntervalSeconds, healthyThresholdCount: tg.HealthyThresholdCount, ...(tg.UnhealthyThresholdCount ? { unhealthyThresholdCount: tg.UnhealthyThresholdCount } : {}) };
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

export interface ListenerRule {
  arn: string;
  priority: number;
  hosts: string[];
  paths: string[];
  /** Conditions on other fields (headers, query strings, methods, source IPs). */
  otherConditions: number;
  actions: RouteAction[];
}

/** Every rule of a listener (one page of up to 400, the listener's maximum). */
export async function listenerRules(elb: ElasticLoadBalancingV2Client, listenerArn: string): Promise<ListenerRule[]> {
  const out = await call(`elasticloadbalancing:DescribeRules ${listenerArn}`, () => elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: 400 })));
  return (out.Rules ?? [])
    .filter((r) => !r.IsDefault)
    .map((r) => ({
      arn: r.RuleArn ?? '',
      priority: Number(r.Priority),
      hosts: (r.Conditions ?? []).flatMap((c) => (c.Field === 'host-header' ? (c.HostHeaderConfig?.Values ?? c.Values ?? []) : [])),
      paths: (r.Conditions ?? []).flatMap((c) => (c.Field === 'path-pattern' ? (c.PathPatternConfig?.Values ?? c.Values ?? []) : [])),
      otherConditions: (r.Conditions ?? []).filter((c) => c.Field !== 'host-header' && c.Field !== 'path-pattern').length,
      actions: (r.Actions ?? []) as RouteAction[],
    }));
}

export async function createHostRule(elb: ElasticLoadBalancingV2Client, listenerArn: string, priority: number, host: string, targetGroupArn: string, tags: Record<string, string>): Promise<string> {
  const out = await call(`elasticloadbalancing:CreateRule ${listenerArn} ${host}`, () =>
    elb.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: priority,
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
        Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }] } }],
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    ),
  );
  return out.Rules?.[0]?.RuleArn ?? '';
}

export async function deleteRule(elb: ElasticLoadBalancingV2Client, ruleArn: string): Promise<void> {
  await call(`elasticloadbalancing:DeleteRule ${ruleArn}`, () => elb.send(new DeleteRuleCommand({ RuleArn: ruleArn })));
}

/** Tags of listeners, rules, target groups or load balancers, by ARN (DescribeTags takes 20 ARNs a call). */
export async function resourceTags(elbv2: ElasticLoadBalancingV2Client, arns: string[]): Promise<Map<string, Record<string, string>>> {
  const tags = new Map<string, Record<string, string>>();
  for (let k = 0; k < arns.length; k += 20) {
    const batch = arns.slice(k, k + 20);
    const out = await call(`elasticloadbalancing:DescribeTags ${batch.join(',')}`, () => elbv2.send(new DescribeTagsCommand({ ResourceArns: batch })));
    for (const d of out.TagDescriptions ?? []) tags.set(d.ResourceArn ?? '', tagMap(d.Tags));
  }
  return tags;
}
