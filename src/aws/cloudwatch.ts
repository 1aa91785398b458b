import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
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
