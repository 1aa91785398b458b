import * as SDK from '@aws-sdk/client-cloudwatch';
import { SimAwsError } from '../errors.js';
import type { World } from '../world.js';
import { defineService } from './service.js';

// CloudWatch, as the simulator answers it: the commands greenlight and its CLI call.

export const cloudwatch = defineService({
  name: 'cloudwatch',
  iamPrefix: 'cloudwatch',
  sdk: SDK,
  baseException: 'CloudWatchServiceException',
  faults: { throttle: ['Throttling', 400], 'server-error': ['InternalServiceError', 500], 'access-denied': ['AccessDenied', 403] },
  commands: (w: World, _sfn) => ({
    DescribeAlarmsCommand: (i: { AlarmNames?: string[]; MaxRecords?: number; AlarmTypes?: string[] }) => {
      if ((i.AlarmNames?.length ?? 0) > 100) throw new SimAwsError('ValidationError', 'The collection AlarmNames must not have a size greater than 100.');
      const list = (i.AlarmNames ?? [...w.ec2.alarms.keys()]).map((n) => w.ec2.alarms.get(n)).filter((a) => !!a);
      // Without AlarmTypes only metric alarms are returned, even if composite alarms exist.
      const types = i.AlarmTypes?.length ? i.AlarmTypes : ['MetricAlarm'];
      const shown = (a: (typeof list)[number]) => ({
        AlarmName: a.name,
        StateValue: a.state,
        StateReason: a.state === 'ALARM' ? 'Threshold Crossed' : a.state === 'OK' ? 'Threshold not crossed' : 'Insufficient Data',
      });
      return {
        MetricAlarms: types.includes('MetricAlarm') ? list.filter((a) => !a.composite).map(shown) : [],
        CompositeAlarms: types.includes('CompositeAlarm') ? list.filter((a) => a.composite).map(shown) : [],
      };
    },
    GetMetricDataCommand: (i: GetMetricDataInput) => getMetricData(w, i),
    PutMetricAlarmCommand: (i: { AlarmName: string; MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: string }[] }) => {
      const instanceId = i.Dimensions?.find((d) => d.Name === 'InstanceId')?.Value;
      if (i.Namespace !== 'AWS/EC2' || i.MetricName !== 'StatusCheckFailed' || !instanceId)
        throw new SimAwsError('InvalidParameterValue', 'the simulator models alarms on AWS/EC2 StatusCheckFailed with an InstanceId dimension only');
      w.ec2.putAlarm(i.AlarmName, instanceId);
      return {};
    },
  }),
});

interface MetricQuery {
  Id?: string;
  Expression?: string;
  ReturnData?: boolean;
  MetricStat?: { Metric?: { Namespace?: string; MetricName?: string; Dimensions?: { Name?: string; Value?: string }[] }; Period?: number; Stat?: string };
}
interface GetMetricDataInput {
  MetricDataQueries?: MetricQuery[];
  StartTime?: Date;
  EndTime?: Date;
  ScanBy?: string;
}

/** The load balancer metrics the simulator publishes (per target group, the synthetic client's requests). */
const ALB_METRICS = new Set(['RequestCount', 'HTTPCode_Target_5XX_Count', 'TargetResponseTime']);

/**
 * GetMetricData over AWS/ApplicationELB's per-target-group metrics (dimensions LoadBalancer and
 * TargetGroup, as their ARN suffixes). A minute is readable `metricDelaySeconds` after it ends;
 * a period without requests has no data point, nor one without 5xx for
 * HTTPCode_Target_5XX_Count (its reporting criterion is a nonzero value).
 */
function getMetricData(w: World, i: GetMetricDataInput) {
  const queries = i.MetricDataQueries ?? [];
  if (!queries.length || queries.length > 500) throw new SimAwsError('InvalidParameterValue', 'MetricDataQueries must have between 1 and 500 members');
  if (!(i.StartTime instanceof Date) || !(i.EndTime instanceof Date) || i.StartTime >= i.EndTime) throw new SimAwsError('InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
  const epoch = w.clock.dateAt(0).getTime();
  const startS = (i.StartTime.getTime() - epoch) / 1000;
  const endS = (i.EndTime.getTime() - epoch) / 1000;
  const readable = w.clock.now - w.metricDelaySeconds;
  const balancers = new Set([...w.elb.listeners.values()].map((l) => l.loadBalancerArn.split(':loadbalancer/')[1]));
  const results = queries.map((q) => {
    if (!q.Id || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) throw new SimAwsError('InvalidParameterValue', `The value ${q.Id ?? ''} for parameter MetricDataQueries.member.Id is invalid.`);
    if (q.Expression || !q.MetricStat) throw new SimAwsError('InvalidParameterValue', 'the simulator answers MetricStat queries only (no metric math)');
    const { Metric, Period = 0, Stat = '' } = q.MetricStat;
    if (Period < 60 || Period % 60) throw new SimAwsError('InvalidParameterValue', 'The parameter MetricDataQueries.member.MetricStat.Period must be a multiple of 60 for standard-resolution metrics.');
    const dims = new Map((Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
    const group = [...w.elb.targetGroups.values()].find((g) => g.arn.endsWith(`:${dims.get('TargetGroup')}`));
    const known = Metric?.Namespace === 'AWS/ApplicationELB' && ALB_METRICS.has(Metric.MetricName ?? '') && dims.size === 2 && group && balancers.has(dims.get('LoadBalancer') ?? '');
    const minutes = known ? (w.targetMetrics.get(group.arn) ?? new Map()) : new Map();
    // Whole periods from StartTime; a minute counts once it is readable.
    const buckets = new Map<number, { requests: number; errors5xx: number; latencySumMs: number }>();
    for (const [minute, m] of minutes) {
      if (minute < startS || minute >= endS || minute + 60 > readable) continue;
      const b = startS + Math.floor((minute - startS) / Period) * Period;
      const acc = buckets.get(b) ?? { requests: 0, errors5xx: 0, latencySumMs: 0 };
      acc.requests += m.requests;
      acc.errors5xx += m.errors5xx;
      acc.latencySumMs += m.latencySumMs;
      buckets.set(b, acc);
    }
    const points: [number, number][] = [];
    for (const [b, m] of buckets) {
      if (!m.requests) continue;
      const name = Metric?.MetricName;
      if (name === 'RequestCount') points.push([b, m.requests]);
      else if (name === 'HTTPCode_Target_5XX_Count') {
        if (m.errors5xx) points.push([b, m.errors5xx]);
      } else if (Stat === 'Average') points.push([b, m.latencySumMs / m.requests / 1000]);
      else if (Stat === 'Sum') points.push([b, m.latencySumMs / 1000]);
      else if (Stat === 'SampleCount') points.push([b, m.requests]);
    }
    points.sort((a, b) => (i.ScanBy === 'TimestampAscending' ? a[0] - b[0] : b[0] - a[0]));
    return { Id: q.Id, Label: Metric?.MetricName, Timestamps: points.map(([t]) => w.clock.dateAt(t)), Values: points.map(([, v]) => v), StatusCode: 'Complete' };
  });
  return { MetricDataResults: results.filter((_, k) => queries[k].ReturnData !== false), Messages: [] };
}
