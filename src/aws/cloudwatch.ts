import { type CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { call } from './errors.js';

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
