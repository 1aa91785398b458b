import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type MetricDataQuery, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { registerClient } from './clients.js';
import { call } from './errors.js';

registerClient('cloudwatch', (config) => new CloudWatchClient(config));

export const statusAlarmName = (app: string) => `greenlight-${app}-status`;

/** The live instance's StatusCheckFailed alarm; its state change starts a replacement. */
export async function putStatusAlarm(cw: CloudWatchClient, app: string, instanceId: string): Promise<void> {
  await call(`cloudwatch:PutMetricAlarm ${statusAlarmName(app)}`, () =>
    cw.send(
      new PutMetricAlarmCommand({
        AlarmName: statusAlarmName(app),
        AlarmDescription: `greenlight: replace ${app}'s live instance when its status checks fail`,
        Namespace: 'AWS/EC2',
        MetricName: 'StatusCheckFailed',
        Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'missing',
      }),
    ),
  );
}

export interface AlarmState {
  name: string;
  state: string;
  reason: string;
}

/**
 * The named alarms' states (DescribeAlarms takes up to 100 names per call). A name that does not
 * exist comes back as state MISSING. Any error propagates: an unread alarm is never taken as OK.
 */
export async function alarmStates(cw: CloudWatchClient, names: string[]): Promise<AlarmState[]> {
  const found = new Map<string, AlarmState>();
  for (let k = 0; k < names.length; k += 100) {
    const batch = names.slice(k, k + 100);
    const out = await call(`cloudwatch:DescribeAlarms ${batch.length} alarms`, () => cw.send(new DescribeAlarmsCommand({ AlarmNames: batch, MaxRecords: 100, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })));
    for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])])
      if (a.AlarmName) found.set(a.AlarmName, { name: a.AlarmName, state: String(a.StateValue), reason: a.StateReason ?? '' });
  }
  return names.map((n) => found.get(n) ?? { name: n, state: 'MISSING', reason: '' });
}

/** One period of a target group: requests, target 5xx, mean target response time (ms; null without requests). */
export interface TargetGroupPeriod {
  start: Date;
  requests: number;
  errors5xx: number;
  latencyMs: number | null;
}

/** The `app/<name>/<id>` and `targetgroup/<name>/<id>` suffixes CloudWatch's ALB dimensions take. */
export const loadBalancerDimension = (loadBalancerOrListenerArn: string) => loadBalancerOrListenerArn.split(/:(?:loadbalancer|listener|listener-rule)\//)[1].split('/').slice(0, 3).join('/');
export const targetGroupDimension = (targetGroupArn: string) => targetGroupArn.slice(targetGroupArn.indexOf('targetgroup/'));

/** Each metric's part of its query Id (m<target group's index>_<part>). */
const QUERY_ID = { RequestCount: 'n', HTTPCode_Target_5XX_Count: 'e', TargetResponseTime: 't' } as const;

/**
 * Per-period ALB metrics of each target group between `start` and `end` (GetMetricData, one
 * call per 500 queries, every page). Only periods with requests come back; a period with
 * requests but no HTTPCode_Target_5XX_Count data point had no 5xx (its reporting criterion is a
 * nonzero value).
 */
export async function targetGroupPeriods(
  cw: CloudWatchClient,
  o: { listenerArn: string; targetGroupArns: string[]; start: Date; end: Date; periodSeconds: number },
): Promise<Map<string, TargetGroupPeriod[]>> {
  const lb = loadBalancerDimension(o.listenerArn);
  const metric = (k: number, name: keyof typeof QUERY_ID, stat: string): MetricDataQuery => ({
    Id: `m${k}_${QUERY_ID[name]}`,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: name, Dimensions: [{ Name: 'LoadBalancer', Value: lb }, { Name: 'TargetGroup', Value: targetGroupDimension(o.targetGroupArns[k]) }] },
      Period: o.periodSeconds,
      Stat: stat,
    },
  });
  const queries = o.targetGroupArns.flatMap((_, k) => [metric(k, 'RequestCount', 'Sum'), metric(k, 'HTTPCode_Target_5XX_Count', 'Sum'), metric(k, 'TargetResponseTime', 'Average')]);
  const values = new Map<string, Map<number, number>>();
  let token: string | undefined;
  do {
    const out = await call(`cloudwatch:GetMetricData (${o.targetGroupArns.length} target groups)`, () =>
      cw.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: o.start, EndTime: o.end, ScanBy: 'TimestampAscending', NextToken: token })),
    );
    for (const r of out.MetricDataResults ?? []) {
      const m = values.get(r.Id ?? '') ?? new Map<number, number>();
      for (const [k, t] of (r.Timestamps ?? []).entries()) m.set(new Date(t).getTime(), r.Values?.[k] ?? 0);
      values.set(r.Id ?? '', m);
    }
    token = out.NextToken;
  } while (token);
  const result = new Map<string, TargetGroupPeriod[]>();
  o.targetGroupArns.forEach((arn, k) => {
    const n = values.get(`m${k}_n`) ?? new Map<number, number>();
    const e = values.get(`m${k}_e`) ?? new Map<number, number>();
    const t = values.get(`m${k}_t`) ?? new Map<number, number>();
    const periods = [...n.entries()]
      .filter(([, requests]) => requests > 0)
      .sort((a, b) => a[0] - b[0])
      .map(([at, requests]) => ({ start: new Date(at), requests, errors5xx: e.get(at) ?? 0, latencyMs: t.has(at) ? t.get(at)! * 1000 : null }));
    result.set(arn, periods);
  });
  return result;
}
