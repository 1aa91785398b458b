// The EventBridge rules that start releases, as `events:` of the dispatch function. Used by
// serverless.yml and by the local runner (which replaces the bucket reference by its own bucket).
//  - S3 "Object Created" under releases/ of the artifact bucket: always.
//  - ECR "Image Action" pushes to the repositories of apps that opt in (ecs apps with `ecr:`).
const { load } = require('./config.cjs');

// An event pattern holds at most 2,048 characters (EventBridge quotas, "Event pattern size"):
// a pattern that lists the apps' groups or alarms is split into as many rules as it needs, each
// listing some of them (every event still matches exactly one rule).
const EVENT_PATTERN_LIMIT = 2048;

/** The pattern, with the list at detail[field] split so that each pattern fits (none for an empty list). */
function split(base, field, values) {
  if (!values.length) return [];
  const out = [];
  let chunk = [];
  const at = (list) => ({ ...base, detail: { ...base.detail, [field]: list } });
  for (const v of values) {
    if (chunk.length && JSON.stringify(at([...chunk, v])).length > EVENT_PATTERN_LIMIT) {
      out.push(at(chunk));
      chunk = [];
    }
    chunk.push(v);
  }
  out.push(at(chunk));
  return out;
}

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

/** Lifecycle actions of the scaled groups start the capacity state machine (one pattern per rule). */
function lifecyclePatterns(doc) {
  const base = { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'], detail: {} };
  return split(base, 'AutoScalingGroupName', scaledGroups(doc));
}

function capacityEvents() {
  const doc = load();
  const patterns = lifecyclePatterns(doc);
  if (!patterns.length) return [];
  const minutes = doc.reconcileMinutes || 5;
  return [
    ...patterns.map((event) => ({ eventBridge: { event, deadLetterConfig: FAILURE_QUEUE } })),
    { schedule: { rate: `rate(${minutes} minute${minutes === 1 ? '' : 's'})`, input: { action: 'reconcile' } } },
  ];
}

/** Status alarms of eip apps (greenlight-<app>-status), and the alarms asg apps name, going to
 * ALARM start the release machine, which replaces the faulty server. */
function alarmPatterns(doc) {
  const apps = Object.entries(doc?.apps || {});
  const names = [
    ...apps.filter(([, a]) => a?.kind === 'eip' && a.replaceOnStatusCheckFailure !== false).map(([name]) => `greenlight-${name}-status`),
    ...apps.flatMap(([, a]) => (a?.kind !== 'ecs' && a?.kind !== 'eip' && Array.isArray(a?.replaceOnAlarms) ? a.replaceOnAlarms : [])),
  ].sort();
  return split({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } }, 'alarmName', names);
}

/** Guard alarms of asg and ecs apps going to ALARM: the guard function rolls a running release back at once. */
function guardPatterns(doc) {
  const names = [...new Set(Object.values(doc?.apps || {}).flatMap((a) => (a?.kind !== 'eip' && Array.isArray(a?.alarms) ? a.alarms : [])))].sort();
  return split({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } }, 'alarmName', names);
}

function guardEvents() {
  return guardPatterns(load()).map((pattern) => ({ eventBridge: { pattern, retryPolicy: { maximumEventAge: 3600, maximumRetryAttempts: 185 }, deadLetterQueueArn: FAILURE_QUEUE } }));
}

function releaseEvents() {
  return alarmPatterns(load()).map((event) => ({ eventBridge: { event, deadLetterConfig: FAILURE_QUEUE } }));
}

module.exports = {
  patterns,
  EVENT_PATTERN_LIMIT,
  alarmPatterns,
  guardPatterns,
  guardEvents,
  releaseEvents,
  scaledGroups,
  lifecyclePatterns,
  capacityEvents,
  dispatchEvents: () => Object.values(patterns(load())).map((pattern) => ({ eventBridge: { pattern, deadLetterQueueArn: FAILURE_QUEUE } })),
};
