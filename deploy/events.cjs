// The EventBridge rules that start releases, as `events:` of the dispatch function. Used by
// serverless.yml and by the local runner (which replaces the bucket reference by its own bucket).
//  - S3 "Object Created" under releases/ of the artifact bucket: always.
//  - ECR "Image Action" pushes to the repositories of apps that opt in (ecs apps with `ecr:`).
const { load } = require('./config.cjs');

// What a rule cannot deliver goes to the stack's failure queue (deploy/observe.cjs).
const FAILURE_QUEUE = { 'Fn::GetAtt': ['FailureQueue', 'Arn'] };

function patterns(doc, bucket = { Ref: 'ArtifactBucket' }) {
  const s3 = {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: { bucket: { name: [bucket] }, object: { key: [{ prefix: 'releases/' }] } },
  };
  const repos = [...new Set(Object.values(doc?.apps || {}).filter((a) => a?.kind === 'ecs' && a.ecr).map((a) => a.ecr.repository))].sort();
  const ecr = repos.length
    ? { source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': repos } }
    : null;
  return ecr ? { s3, ecr } : { s3 };
}

/** Groups whose ECS tasks follow them (ecs apps with `scaling:`), both colours. */
function scaledGroups(doc) {
  return Object.values(doc?.apps || {})
    .filter((a) => a?.kind === 'ecs' && a.scaling)
    .flatMap((a) => [a.blue.autoScalingGroupName, a.green.autoScalingGroupName])
    .filter(Boolean)
    .sort();
}

/** Lifecycle actions of the scaled groups start the capacity state machine. */
function lifecyclePattern(doc) {
  const groups = scaledGroups(doc);
  return groups.length
    ? {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: groups },
      }
    : null;
}

function capacityEvents() {
  const doc = load();
  const pattern = lifecyclePattern(doc);
  if (!pattern) return [];
  const minutes = doc.reconcileMinutes || 5;
  return [
    { eventBridge: { event: pattern, deadLetterConfig: FAILURE_QUEUE } },
    { schedule: { rate: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`, input: { action: 'reconcile' } } },
  ];
}

/** Status alarms of eip apps (greenlight-<app>-status), and the alarms asg apps name, going to
 * ALARM start the release machine, which replaces the faulty server. */
function alarmPattern(doc) {
  const apps = Object.entries(doc?.apps || {});
  const names = [
    ...apps.filter(([, a]) => a?.kind === 'eip' && a.replaceOnStatusCheckFailure !== false).map(([name]) => `greenlight-${name}-status`),
    ...apps.flatMap(([, a]) => (a?.kind !== 'ecs' && a?.kind !== 'eip' && Array.isArray(a?.replaceOnAlarms) ? a.replaceOnAlarms : [])),
  ].sort();
  return names.length ? { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: names, state: { value: ['ALARM'] } } } : null;
}

/** Guard alarms of asg and ecs apps going to ALARM: the guard function rolls a running release back at once. */
function guardPattern(doc) {
  const names = [...new Set(Object.values(doc?.apps || {}).flatMap((a) => (a?.kind !== 'eip' && Array.isArray(a?.alarms) ? a.alarms : [])))].sort();
  return names.length ? { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: names, state: { value: ['ALARM'] } } } : null;
}

function guardEvents() {
  const pattern = guardPattern(load());
  return pattern ? [{ eventBridge: { pattern, retryPolicy: { maximumEventAge: 3600, maximumRetryAttempts: 185 }, deadLetterQueueArn: FAILURE_QUEUE } }] : [];
}

function releaseEvents() {
  const pattern = alarmPattern(load());
  return pattern ? [{ eventBridge: { event: pattern, deadLetterConfig: FAILURE_QUEUE } }] : [];
}

module.exports = {
  patterns,
  alarmPattern,
  guardPattern,
  guardEvents,
  releaseEvents,
  scaledGroups,
  lifecyclePattern,
  capacityEvents,
  dispatchEvents: () => Object.values(patterns(load())).map((pattern) => ({ eventBridge: { pattern, deadLetterQueueArn: FAILURE_QUEUE } })),
};
