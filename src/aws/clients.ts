import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

// The real SDK clients. In Lambda they use the default credential chain and region. The local
// runner builds the same clients and replaces only their transport (src/local/transport.ts).

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
}

/** Settings every client accepts (region, credentials, retry strategy, ...). */
export type ClientConfig = { region?: string; [k: string]: unknown };

export function createClients(config: ClientConfig = {}): Clients {
  return {
    s3: new S3Client(config),
    ec2: new EC2Client(config),
    ecs: new ECSClient(config),
    autoscaling: new AutoScalingClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    sfn: new SFNClient(config),
    cloudwatch: new CloudWatchClient(config),
    dynamodb: new DynamoDBClient(config),
    events: new EventBridgeClient(config),
    sns: new SNSClient(config),
  };
}
