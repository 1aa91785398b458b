// Domain errors. `name` is the contract: the ASL Retry/Catch blocks match on it.

export class GreenlightError extends Error {
  readonly details?: Record<string, unknown>;
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
  }
}

/** Bad input or configuration: the release is rejected before any mutation. Never retried. */
export class InvalidInput extends GreenlightError {
  override readonly name = 'InvalidInput';
}

/** AWS throttled us after the SDK's own retries. Retried by the state machine with backoff. */
export class Throttled extends GreenlightError {
  override readonly name = 'Throttled';
}

/** A 5xx or a conflicting in-flight activity on AWS's side. Retried by the state machine. */
export class TransientAwsError extends GreenlightError {
  override readonly name = 'TransientAwsError';
}

export class AwsAccessDenied extends GreenlightError {
  override readonly name = 'AwsAccessDenied';
}

/** A configured resource does not exist (or an artifact is missing): a configuration problem. */
export class AwsResourceNotFound extends GreenlightError {
  override readonly name = 'AwsResourceNotFound';
}

/** AWS rejected a request for another reason (4xx). Not retried. */
export class AwsRequestRejected extends GreenlightError {
  override readonly name = 'AwsRequestRejected';
}

/** Green did not become healthy before the configured timeout. */
export class GreenHealthTimeout extends GreenlightError {
  override readonly name = 'GreenHealthTimeout';
}

/** Green's tasks keep stopping before they turn healthy (crash loop): no point waiting for the timeout. */
export class GreenCrashLooping extends GreenlightError {
  override readonly name = 'GreenCrashLooping';
}

/** Green's capacity (container instances) did not join before the timeout. */
export class CapacityTimeout extends GreenlightError {
  override readonly name = 'CapacityTimeout';
}

/** A smoke check against green failed: production traffic never reaches it. */
export class SmokeCheckFailed extends GreenlightError {
  override readonly name = 'SmokeCheckFailed';
}

/** A guard refused to move traffic: green is not fully healthy at the moment of the switch. */
export class GreenNotHealthy extends GreenlightError {
  override readonly name = 'GreenNotHealthy';
}

/** The canary's metrics, judged against the baseline's, say it is worse: the release rolls back. */
export class CanaryJudgedBad extends GreenlightError {
  override readonly name = 'CanaryJudgedBad';
}

/** Too few periods of metrics are readable yet to judge the canary (retried a few times, then rolled back). */
export class JudgementPending extends GreenlightError {
  override readonly name = 'JudgementPending';
}

/** The route was modified but the read-back does not show it yet (retried). */
export class TrafficNotShifted extends GreenlightError {
  override readonly name = 'TrafficNotShifted';
}

/** The live colour is not what this release expects (somebody else moved traffic). */
export class LiveColourChanged extends GreenlightError {
  override readonly name = 'LiveColourChanged';
}

/** Summarise any thrown value as a one-line reason, without stack traces or payloads. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** A guard alarm is in ALARM: production traffic must not move (further) to green. */
export class AlarmFiring extends GreenlightError {
  override readonly name = 'AlarmFiring';
}

/** The execution no longer holds its app's lock (the guard or a newer release took it): it changes nothing more. */
export class LockLost extends GreenlightError {
  override readonly name = 'LockLost';
}
