import { AwsAccessDenied, AwsRequestRejected, AwsResourceNotFound, GreenlightError, Throttled, TransientAwsError } from '../core/errors.js';

// SDK exceptions in, domain errors out. The SDK has already retried throttles and 5xx
// (standard retry strategy); what reaches us is retried by the state machine with backoff.

const THROTTLE = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException', // DynamoDB
  'Throttled', // SNS
]);
const TRANSIENT = new Set([
  'ResourceContention', // Auto Scaling: another update in flight
  'ResourceContentionFault',
  'ScalingActivityInProgress',
  'ScalingActivityInProgressFault',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServerException', // ECS 5xx
  'InternalServerError', // DynamoDB
  'InternalException', // EventBridge
  'TransactionConflictException',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthFailure']);
const NOT_FOUND = new Set([
  'NotFound', // S3 HeadObject 404
  'NoSuchKey',
  'NoSuchVersion',
  'NoSuchBucket',
  'TargetGroupNotFound',
  'TargetGroupNotFoundException',
  'ListenerNotFound',
  'ListenerNotFoundException',
  'RuleNotFound',
  'RuleNotFoundException',
  'LoadBalancerNotFound',
  'LoadBalancerNotFoundException',
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateId.Malformed',
  'InvalidLaunchTemplateId.VersionNotFound',
  'InvalidLaunchTemplateName.NotFoundException',
  'InvalidAMIID.NotFound',
  'InvalidAMIID.Malformed',
  'InvalidInstanceID.NotFound',
  'StateMachineDoesNotExist',
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'ResourceNotFoundException', // DynamoDB table, EventBridge bus
  'NotFoundException', // SNS topic
]);

interface SdkLike {
  name?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** What to change when the denial names a role greenlight was not told it may pass. */
function deniedHint(message: string): string {
  const role = /iam:PassRole on resource: (arn:\S+)/.exec(message)?.[1];
  if (role) return ` (fix: list ${role} in the app's passRoles in greenlight.config.yml and redeploy greenlight)`;
  // A configured resource denied though the role allows its type: with iam.scope: tags, it lacks the stack's tag.
  const resource = /not authorized to perform: (?:autoscaling|ecs|elasticloadbalancing|ec2):\S+ on resource: (arn:\S+)/.exec(message)?.[1];
  return resource ? ` (with iam.scope: tags in greenlight.config.yml, tag ${resource} greenlight:stack=<iam.stack> and retry)` : '';
}

export function mapAwsError(err: unknown, what: string): Error {
  if (err instanceof GreenlightError) return err;
  const e = (err ?? {}) as SdkLike;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const msg = `${what}: ${name}${e.message && e.message !== name ? `: ${e.message}` : ''}`;
  if (THROTTLE.has(name) || status === 429) return new Throttled(msg, { cause: err });
  if (DENIED.has(name) || status === 403) return new AwsAccessDenied(`${msg}${deniedHint(e.message ?? '')}`, { cause: err });
  if (NOT_FOUND.has(name) || status === 404) return new AwsResourceNotFound(msg, { cause: err });
  // Auto Scaling reports a missing group as a generic ValidationError.
  if (name === 'ValidationError' && /not found/i.test(e.message ?? '')) return new AwsResourceNotFound(msg, { cause: err });
  if (TRANSIENT.has(name) || e.$fault === 'server' || (status !== undefined && status >= 500)) return new TransientAwsError(msg, { cause: err });
  // Only service exceptions carry $fault; the SDK's retry middleware adds $metadata to anything.
  if (e.$fault) return new AwsRequestRejected(msg, { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}

/** Run one SDK call and translate its failure. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapAwsError(err, what);
  }
}
