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
    PutMetricAlarmCommand: (i: { AlarmName: string; MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: string }[] }) => {
      const instanceId = i.Dimensions?.find((d) => d.Name === 'InstanceId')?.Value;
      if (i.Namespace !== 'AWS/EC2' || i.MetricName !== 'StatusCheckFailed' || !instanceId)
        throw new SimAwsError('InvalidParameterValue', 'the simulator models alarms on AWS/EC2 StatusCheckFailed with an InstanceId dimension only');
      w.ec2.putAlarm(i.AlarmName, instanceId);
      return {};
    },
  }),
});
