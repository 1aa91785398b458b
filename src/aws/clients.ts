import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';

// The real SDK clients. In Lambda they use the default credential chain and region. The local
// runner builds the same clients and replaces only their transport (src/local/transport.ts).
//
// Each client is built on first use, by the adapter of its service (src/aws/<service>.ts
// registers how): this module imports no SDK package, so a function's bundle loads only the SDK
// packages its own steps call (dispatch: S3 and Step Functions, not all ten; issue 15).

export interface Clients {
  s3: S3Client;
  ec2: EC2Client;
  ecs: ECSClient;
  autoscaling: AutoScalingClient;
  elbv2: ElasticLoadBalancingV2Client;
  sfn: SFNClient;
  cloudwatch: CloudWatchClient;
  dynamodb: DynamoDBClient;
  events: EventBridgeClient;
  sns: SNSClient;
  /** The CLI's only (release checks a manifest's images). */
  ecr: ECRClient;
}

export type Service = keyof Clients;
/** Each service's adapter (src/aws/<file>.ts), which registers how its client is built. */
const ADAPTER: Record<Service, string> = {
  s3: 's3',
  ec2: 'ec2',
  ecs: 'ecs',
  autoscaling: 'autoscaling',
  elbv2: 'elbv2',
  sfn: 'sfn',
  cloudwatch: 'cloudwatch',
  dynamodb: 'dynamodb',
  events: 'notify',
  sns: 'notify',
  ecr: 'ecr',
};
const SERVICES = Object.keys(ADAPTER) as Service[];

/** Settings every client accepts (region, credentials, retry strategy, ...). */
export type ClientConfig = { region?: string; [k: string]: unknown };

const makers: { [K in Service]?: (config: ClientConfig) => Clients[K] } = {};

/** How an adapter's client is built: called once, at the adapter's module level. */
export function registerClient<K extends Service>(service: K, make: (config: ClientConfig) => Clients[K]): void {
  (makers as Record<Service, unknown>)[service] = make;
}

/**
 * The clients, each built on first use with `config`. `onCreate` sees each one as it is built
 * (the local runner attaches its transport there, a dry run its recorder).
 */
export function createClients(config: ClientConfig = {}, onCreate?: (service: Service, client: Clients[Service]) => void): Clients {
  const built: Partial<Clients> = {};
  const clients = {} as Clients;
  for (const service of SERVICES)
    Object.defineProperty(clients, service, {
      enumerable: true,
      get() {
        let client = built[service];
        if (!client) {
          const make = makers[service];
          if (!make) throw new Error(`no ${service} client: the adapter src/aws/${ADAPTER[service]}.ts was not loaded (import it where its calls are made)`);
          client = make(config);
          (built as Record<Service, unknown>)[service] = client;
          onCreate?.(service, client);
        }
        return client;
      },
    });
  return clients;
}
