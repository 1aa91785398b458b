import * as AutoScaling from '@aws-sdk/client-auto-scaling';
import * as CloudWatch from '@aws-sdk/client-cloudwatch';
import * as DynamoDB from '@aws-sdk/client-dynamodb';
import * as EC2 from '@aws-sdk/client-ec2';
import * as ECS from '@aws-sdk/client-ecs';
import * as ELBv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as EventBridge from '@aws-sdk/client-eventbridge';
import * as S3 from '@aws-sdk/client-s3';
import * as SFN from '@aws-sdk/client-sfn';
import * as SNS from '@aws-sdk/client-sns';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { type Clients, createClients } from '../aws/clients.js';
import type { Service } from '../sim/api.js';
import type { VirtualClock } from '../sim/clock.js';
import { SimAwsError } from '../sim/errors.js';

// Plugs the simulator in below the SDK: the real clients, Command objects, serializers'
// inputs and retry strategy run unchanged; only the HTTP round trip is answered locally.

// biome-ignore lint/suspicious/noExplicitAny: SDK command inputs/outputs are untyped at this seam.
export type ApiTable = Record<Service, Record<string, (input: any) => any>>;

export interface CallRecord {
  t: number;
  service: Service;
  command: string;
  mutating: boolean;
  caller: string;
  error?: string;
}

export type FaultKind = 'throttle' | 'server-error' | 'access-denied' | 'crash' | 'stale-read';
export interface FaultRule {
  /** SDK command name without "Command", e.g. ModifyListener. */
  command: string;
  kind: FaultKind;
  /** How many calls fail (then it heals). */
  times: number;
  /** Calls to let through first. */
  skip?: number;
  /** Only calls made by this function (e.g. switchTraffic). */
  caller?: string;
  /** stale-read: for this many virtual seconds the describe returns what it returned before. */
  seconds?: number;
}

/** A Lambda that dies right after an AWS call took effect (timeout, OOM, runtime exit). */
export class LambdaCrash extends Error {
  override readonly name = 'Lambda.Unknown';
}

const MODULES: Record<Service, Record<string, unknown>> = { s3: S3, ec2: EC2, ecs: ECS, autoscaling: AutoScaling, elbv2: ELBv2, sfn: SFN, cloudwatch: CloudWatch, dynamodb: DynamoDB, events: EventBridge, sns: SNS };
const BASE: Record<Service, string> = {
  s3: 'S3ServiceException',
  ec2: 'EC2ServiceException',
  ecs: 'ECSServiceException',
  autoscaling: 'AutoScalingServiceException',
  elbv2: 'ElasticLoadBalancingV2ServiceException',
  sfn: 'SFNServiceException',
  cloudwatch: 'CloudWatchServiceException',
  dynamodb: 'DynamoDBServiceException',
  events: 'EventBridgeServiceException',
  sns: 'SNSServiceException',
};
const FAULT_CODES: Record<FaultKind, Record<Service, [string, number]>> = {
  throttle: {
    s3: ['SlowDown', 503],
    ec2: ['RequestLimitExceeded', 503],
    ecs: ['ThrottlingException', 400],
    autoscaling: ['Throttling', 400],
    elbv2: ['Throttling', 400],
    sfn: ['ThrottlingException', 400],
    cloudwatch: ['Throttling', 400],
    dynamodb: ['ThrottlingException', 400],
    events: ['ThrottlingException', 400],
    sns: ['Throttled', 400],
  },
  'server-error': {
    s3: ['InternalError', 500],
    ec2: ['InternalError', 500],
    ecs: ['ServerException', 500],
    autoscaling: ['InternalFailure', 500],
    elbv2: ['InternalFailure', 500],
    sfn: ['InternalFailure', 500],
    cloudwatch: ['InternalServiceError', 500],
    dynamodb: ['InternalServerError', 500],
    events: ['InternalException', 500],
    sns: ['InternalError', 500],
  },
  crash: NONE(),
  'stale-read': NONE(),
  'access-denied': {
    s3: ['AccessDenied', 403],
    ec2: ['UnauthorizedOperation', 403],
    ecs: ['AccessDeniedException', 400],
    autoscaling: ['AccessDenied', 403],
    elbv2: ['AccessDenied', 403],
    sfn: ['AccessDeniedException', 403],
    cloudwatch: ['AccessDenied', 403],
    dynamodb: ['AccessDeniedException', 400],
    events: ['AccessDeniedException', 400],
    sns: ['AuthorizationError', 403],
  },
};

/** Fault kinds that are not an AWS error answer. */
function NONE(): Record<Service, [string, number]> {
  return Object.fromEntries(Object.keys(BASE).map((s) => [s, ['', 0]])) as Record<Service, [string, number]>;
}

/** greenlight's own services: executions, locks and history, notifications. */
export const OWN_SERVICES: ReadonlySet<Service> = new Set(['sfn', 'dynamodb', 'events', 'sns']);

/** A call that changes the user's infrastructure (not greenlight's own bookkeeping). */
export function changesInfrastructure(c: { service: Service; mutating: boolean }): boolean {
  return c.mutating && !OWN_SERVICES.has(c.service);
}

/** Reads are Describe*, Get*, Head*, List*, Query; everything else changes something. */
export function isMutating(command: string): boolean {
  return !/^(Describe|Get|Head|List|Query)/.test(command);
}

/** The SDK's own exception class for this code when the client models one, else its base class. */
export function sdkError(service: Service, code: string, message: string, status: number, extra: Record<string, unknown> = {}): Error {
  const mod = MODULES[service];
  const cls = [code, `${code}Exception`].map((n) => mod[n]).find((c) => typeof c === 'function') as
    | (new (o: object) => Error)
    | undefined;
  const meta = { $metadata: { httpStatusCode: status, attempts: 1 }, $fault: status >= 500 ? 'server' : 'client', message, ...extra };
  if (cls && cls.name !== BASE[service]) return new cls(meta);
  const Base = mod[BASE[service]] as new (o: object) => Error;
  return new Base({ name: code, ...meta });
}

/** Just what the transport touches of a client (the clients' full union is too large for tsc). */
// biome-ignore lint/suspicious/noExplicitAny: see above.
type AnyClient = { middlewareStack: { addRelativeTo: (mw: any, opts: any) => void } };

export class SimTransport {
  readonly calls: CallRecord[] = [];
  private faults: (FaultRule & { seen: number; fired: number; from?: number })[];
  /** Reads' latest answers, for eventually consistent (stale) reads. */
  private answers = new Map<string, { t: number; output: unknown }>();

  constructor(
    private readonly api: ApiTable,
    private readonly clock: VirtualClock,
    faults: FaultRule[] = [],
  ) {
    this.faults = faults.map((f) => ({ ...f, seen: 0, fired: 0 }));
  }

  /** Real SDK clients whose transport is this simulator. `caller` labels the call log. */
  clients(caller: string): Clients {
    // Retries stay real (the SDK's strategy decides); the delay is zero because virtual
    // time only moves between steps.
    const clients = createClients({ region: 'us-east-1', credentials: { accessKeyId: 'SIMULATED', secretAccessKey: 'SIMULATED' }, retryStrategy: new ConfiguredRetryStrategy(3, () => 0) });
    for (const [service, client] of Object.entries(clients) as [Service, AnyClient][]) this.attach(client, service, caller);
    return clients;
  }

  private attach(client: AnyClient, service: Service, caller: string): void {
    const table = this.api[service];
    client.middlewareStack.addRelativeTo(
      // biome-ignore lint/suspicious/noExplicitAny: middleware generics are not worth spelling out here.
      (_next: any, context: any) => async (args: any) => {
        const command: string = context.commandName;
        const short = command.replace(/Command$/, '');
        const record: CallRecord = { t: this.clock.now, service, command: short, mutating: isMutating(short), caller };
        this.calls.push(record);
        const now = this.clock.now;
        const key = `${command} ${JSON.stringify(args.input)}`;
        const stale = this.faults.find((f) => f.kind === 'stale-read' && f.command === short && (!f.caller || f.caller === caller) && f.from !== undefined && now <= f.from + (f.seconds ?? 5));
        if (stale && this.answers.has(key) && this.answers.get(key)!.t < stale.from!) {
          record.error = 'stale';
          return { output: structuredClone(this.answers.get(key)!.output), response: {} };
        }
        const fault = this.faults.find((f) => f.command === short && (!f.caller || f.caller === caller) && f.fired < f.times && f.seen++ >= (f.skip ?? 0));
        if (fault) fault.fired++;
        if (fault?.kind === 'stale-read') fault.from = now;
        else if (fault && fault.kind !== 'crash') {
          const [code, status] = FAULT_CODES[fault.kind][service];
          record.error = code;
          throw sdkError(service, code, `injected ${fault.kind}`, status);
        }
        const fn = table[command];
        if (!fn) {
          record.error = 'NotImplemented';
          throw sdkError(service, 'NotImplemented', `the simulator does not implement ${service}:${short}`, 501);
        }
        try {
          const output = await fn(args.input);
          const answer = { ...output, $metadata: { httpStatusCode: 200, attempts: 1 } };
          if (!record.mutating && !('Body' in (output ?? {}))) this.answers.set(key, { t: now, output: structuredClone(answer) });
          if (fault?.kind === 'crash') {
            record.error = 'crash';
            throw new LambdaCrash(`the function crashed right after ${service}:${short} took effect`);
          }
          return { output: answer, response: {} };
        } catch (e) {
          if (e instanceof SimAwsError) {
            record.error = e.name;
            throw sdkError(service, e.name, e.message, e.status, e.extra);
          }
          throw e;
        }
      },
      { relation: 'after', toMiddleware: 'retryMiddleware', name: 'simTransport', override: true },
    );
  }
}
