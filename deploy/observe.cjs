// The deployer watches itself (loaded by serverless.yml):
//  - one SQS queue receives what would otherwise be lost: async invocations of dispatch and guard
//    that failed after Lambda's retries (on-failure destinations), and events EventBridge could
//    not deliver to a function or a state machine (the rules' dead-letter config);
//  - both state machines log to CloudWatch Logs (level from `observability.logLevel`, ERROR by
//    default, never execution data: inputs carry artifact metadata and manifests) and trace with
//    X-Ray when `observability.tracing` is set;
//  - alarms on failed, timed-out and aborted executions of each machine, on dispatch and guard
//    errors and on the failure queue, all notifying the stack's SNS topic.
const { load } = require('./config.cjs');

const observability = () => ({ logLevel: 'ERROR', tracing: false, ...(load()?.observability || {}) });

const FAILURE_QUEUE = { 'Fn::GetAtt': ['FailureQueue', 'Arn'] };
const MACHINES = { Release: 'ReleaseStateMachine', Capacity: 'CapacityStateMachine' };
const ASYNC_FUNCTIONS = { Dispatch: 'DispatchLambdaFunction', Guard: 'GuardLambdaFunction' };

const alarm = (description, props) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    AlarmDescription: description,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: 'ReleaseTopic' }],
    ...props,
  },
});

/** Failed + timed out + aborted executions of one state machine, summed per minute. */
function executionAlarm(machine, id) {
  const metric = (key, name) => ({
    Id: key,
    ReturnData: false,
    MetricStat: { Metric: { Namespace: 'AWS/States', MetricName: name, Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id } }] }, Period: 60, Stat: 'Sum' },
  });
  return alarm(`greenlight: a ${machine.toLowerCase()} execution failed, timed out or was aborted (the Step Functions console shows which; any execution can be re-run from there)`, {
    Metrics: [
      metric('failed', 'ExecutionsFailed'),
      metric('timedOut', 'ExecutionsTimedOut'),
      metric('aborted', 'ExecutionsAborted'),
      { Id: 'total', Expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)', Label: 'failed + timed out + aborted', ReturnData: true },
    ],
  });
}

function resources() {
  const { tracing } = observability();
  const out = {
    FailureQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
    },
    FailureQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'FailureQueue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              // EventBridge rules of this account deliver what they could not hand over.
              Sid: 'UndeliveredEvents',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: FAILURE_QUEUE,
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*' } },
              },
            },
          ],
        },
      },
    },
    StateMachineLogGroup: {
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: { 'Fn::Sub': '/aws/vendedlogs/states/greenlight-${AWS::StackName}' }, RetentionInDays: 30 },
    },
    FailureQueueAlarm: alarm('greenlight: an upload, alarm or lifecycle event was not handled (read the failure queue: each message names the event and the error)', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['FailureQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
    }),
  };
  for (const [name, id] of Object.entries(MACHINES)) out[`${name}ExecutionsAlarm`] = executionAlarm(name, id);
  for (const [name, id] of Object.entries(ASYNC_FUNCTIONS))
    out[`${name}ErrorsAlarm`] = alarm(`greenlight: the ${name.toLowerCase()} function failed (its logs name the error; after Lambda's retries the event goes to the failure queue)`, {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
      Statistic: 'Sum',
      Period: 60,
    });
  if (tracing !== true && tracing !== false) throw new Error('greenlight.config.yml: observability.tracing must be true or false');
  return { Resources: out, Outputs: { FailureQueueUrl: { Description: 'Events greenlight could not handle (dead-letter queue)', Value: { Ref: 'FailureQueue' } } } };
}

module.exports = {
  resources,
  failureQueue: () => FAILURE_QUEUE,
  /** On-failure destination of an asynchronously invoked function. */
  destinations: () => ({ onFailure: { type: 'sqs', arn: FAILURE_QUEUE } }),
  loggingConfig: () => ({ level: observability().logLevel, includeExecutionData: false, destinations: [{ 'Fn::GetAtt': ['StateMachineLogGroup', 'Arn'] }] }),
  tracingConfig: () => ({ enabled: observability().tracing === true }),
  // false: no TracingConfig and no X-Ray statement in the functions' role.
  lambdaTracing: () => (observability().tracing === true ? 'Active' : false),
};
