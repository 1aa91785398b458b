import * as SDK from '@aws-sdk/client-elastic-load-balancing-v2';
import { SimAwsError } from '../errors.js';
import { type Action, type Condition, hexId, type World } from '../world.js';
import { defineService } from './service.js';

// Elastic Load Balancing v2, as the simulator answers it: the commands greenlight and its CLI call.

export const elbv2 = defineService({
  name: 'elbv2',
  iamPrefix: 'elasticloadbalancing',
  sdk: SDK,
  baseException: 'ElasticLoadBalancingV2ServiceException',
  faults: { throttle: ['Throttling', 400], 'server-error': ['InternalFailure', 500], 'access-denied': ['AccessDenied', 403] },
  commands: (w: World, _sfn) => ({
    DescribeListenersCommand: (i: { ListenerArns?: string[] }) => ({
      Listeners: (i.ListenerArns ?? []).map((arn) => {
        const l = w.elb.listener(arn);
        return { ListenerArn: l.arn, LoadBalancerArn: l.loadBalancerArn, Port: l.port, Protocol: l.protocol, DefaultActions: w.elb.describeActions(l.defaultActions) };
      }),
    }),
    DescribeTagsCommand: (i: { ResourceArns?: string[] }) => {
      const arns = i.ResourceArns ?? [];
      if (!arns.length || arns.length > 20) throw new SimAwsError('ValidationError', 'ResourceArns must have between 1 and 20 members');
      return {
        TagDescriptions: arns.map((arn) => {
          // An unknown resource is an error of its type, as DescribeListeners or DescribeRules would say.
          if (arn.includes(':listener-rule/')) w.elb.rule(arn);
          else if (arn.includes(':listener/')) w.elb.listener(arn);
          else if (arn.includes(':targetgroup/') && !w.elb.targetGroups.has(arn)) throw new SimAwsError('TargetGroupNotFound', `Target groups '${arn}' not found`);
          return { ResourceArn: arn, Tags: Object.entries(w.tagsOf(arn)).map(([Key, Value]) => ({ Key, Value })) };
        }),
      };
    },
    DescribeRulesCommand: (i: { RuleArns?: string[]; ListenerArn?: string }) => {
      const rules = i.RuleArns ? i.RuleArns.map((a) => w.elb.rule(a)) : [...w.elb.rules.values()].filter((r) => r.listenerArn === w.elb.listener(i.ListenerArn ?? '').arn);
      const listed = rules.map((r) => ({ RuleArn: r.arn, Priority: String(r.priority), Conditions: structuredClone(r.conditions), Actions: w.elb.describeActions(r.actions), IsDefault: false }));
      if (i.ListenerArn) {
        // By listener, the listener's default rule comes too (priority "default", no conditions).
        const l = w.elb.listener(i.ListenerArn);
        listed.push({ RuleArn: `${l.arn.replace(':listener/', ':listener-rule/')}/${hexId(`default-${l.arn}`, 16)}`, Priority: 'default', Conditions: [], Actions: w.elb.describeActions(l.defaultActions), IsDefault: true });
      }
      return { Rules: listed };
    },
    CreateRuleCommand: (i: { ListenerArn: string; Priority: number; Conditions: Condition[]; Actions: Action[]; Tags?: { Key: string; Value?: string }[] }) => {
      const l = w.elb.listener(i.ListenerArn);
      if (!Number.isInteger(i.Priority) || i.Priority < 1 || i.Priority > 50000) throw new SimAwsError('ValidationError', 'Priority must be between 1 and 50000');
      if ([...w.elb.rules.values()].some((r) => r.listenerArn === l.arn && r.priority === i.Priority)) throw new SimAwsError('PriorityInUse', `Priority '${i.Priority}' is currently in use`);
      w.elb.validateActions(i.Actions);
      const arn = `${l.arn.replace(':listener/', ':listener-rule/')}/${hexId(`rule-${l.arn}-${i.Priority}-${w.clock.now}`)}`;
      w.elb.rules.set(arn, { arn, listenerArn: l.arn, priority: i.Priority, conditions: structuredClone(i.Conditions), actions: structuredClone(i.Actions), tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value ?? ''])) });
      w.note(`rule ${i.Priority} created: ${(i.Conditions[0]?.HostHeaderConfig?.Values ?? []).join(',')} → ${describeForward(w, i.Actions)}`);
      return { Rules: [{ RuleArn: arn, Priority: String(i.Priority), Conditions: structuredClone(i.Conditions), Actions: w.elb.describeActions(i.Actions) }] };
    },
    DeleteRuleCommand: (i: { RuleArn: string }) => {
      const r = w.elb.rule(i.RuleArn);
      w.elb.rules.delete(r.arn);
      w.note(`rule ${r.priority} deleted`);
      return {};
    },
    ModifyListenerCommand: (i: { ListenerArn: string; DefaultActions?: Action[] }) => {
      const l = w.elb.listener(i.ListenerArn);
      if (i.DefaultActions) {
        w.elb.validateActions(i.DefaultActions);
        l.defaultActions = structuredClone(i.DefaultActions);
        w.elb.routeChanges.push({ t: w.clock.now, arn: l.arn, actions: structuredClone(i.DefaultActions) });
        w.note(`listener ${l.port} default action → ${describeForward(w, l.defaultActions)}`);
      }
      return { Listeners: [{ ListenerArn: l.arn, DefaultActions: w.elb.describeActions(l.defaultActions) }] };
    },
    ModifyRuleCommand: (i: { RuleArn: string; Actions?: Action[] }) => {
      const r = w.elb.rule(i.RuleArn);
      if (i.Actions) {
        w.elb.validateActions(i.Actions);
        r.actions = structuredClone(i.Actions);
        w.elb.routeChanges.push({ t: w.clock.now, arn: r.arn, actions: structuredClone(i.Actions) });
        w.note(`rule ${r.priority} → ${describeForward(w, r.actions)}`);
      }
      return { Rules: [{ RuleArn: r.arn, Actions: w.elb.describeActions(r.actions) }] };
    },
    DescribeTargetHealthCommand: (i: { TargetGroupArn: string }) => {
      const tg = w.elb.targetGroup(i.TargetGroupArn);
      return {
        TargetHealthDescriptions: [...tg.targets.values()].map((t) => ({
          Target: { Id: t.id, Port: tg.port },
          HealthCheckPort: String(tg.port),
          TargetHealth: { State: t.state, ...(t.reason ? { Reason: t.reason } : {}) },
        })),
      };
    },
    DescribeTargetGroupsCommand: (i: { TargetGroupArns?: string[] }) => ({
      TargetGroups: (i.TargetGroupArns ?? [...w.elb.targetGroups.keys()]).map((arn) => {
        const tg = w.elb.targetGroup(arn);
        return {
          TargetGroupArn: tg.arn,
          TargetGroupName: tg.name,
          Port: tg.port,
          Protocol: 'HTTP',
          HealthCheckIntervalSeconds: tg.healthCheck.intervalSeconds,
          HealthyThresholdCount: tg.healthCheck.healthyThresholdCount,
          UnhealthyThresholdCount: tg.healthCheck.unhealthyThresholdCount,
        };
      }),
    }),
  }),
});

function describeForward(w: World, actions: Action[]): string {
  const f = w.elb.describeActions(actions).find((a) => a.Type === 'forward');
  return (f?.ForwardConfig?.TargetGroups ?? []).map((g) => `${w.elb.targetGroups.get(g.TargetGroupArn ?? '')?.name ?? g.TargetGroupArn} ${g.Weight}`).join(', ');
}
