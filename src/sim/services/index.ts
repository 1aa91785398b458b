import { autoscaling } from './autoscaling.js';
import { cloudwatch } from './cloudwatch.js';
import { dynamodb } from './dynamodb.js';
import { ec2 } from './ec2.js';
import { ecr } from './ecr.js';
import { ecs } from './ecs.js';
import { elbv2 } from './elbv2.js';
import { events } from './events.js';
import { s3 } from './s3.js';
import type { SimService } from './service.js';
import { sfn } from './sfn.js';
import { sns } from './sns.js';

// The simulated services: one line each. Everything that needs a per-service table (the
// transport's SDK modules, exception classes and fault answers, IAM's prefixes, the list of
// simulated commands) derives it from here.

export const SERVICES = [s3, ec2, ecs, autoscaling, elbv2, sfn, cloudwatch, dynamodb, events, sns, ecr] as const;

/** A simulated service's name: the key of its client in `Clients`. */
export type Service = (typeof SERVICES)[number]['name'];

export const SERVICE: Record<Service, SimService> = Object.fromEntries(SERVICES.map((s) => [s.name, s])) as Record<Service, SimService>;
