import type { Account } from '../account.js';
import { UsageError } from '../scenarios.js';
import { app, type Result, startAndFollow } from './shared.js';

// `greenlight prewarm <app> <capacity>`: keep `capacity` EC2 instances joined to the idle colour's
// cluster (ECS on EC2 capacity), so the next release skips the boot.

export async function prewarm(account: Account, name: string, capacity: number, wait: boolean): Promise<Result> {
  const a = app(account, name);
  if (a.kind !== 'ecs' || a.capacity !== 'ec2') throw new UsageError(`prewarm is for ECS apps on EC2 capacity; ${name} is ${a.kind === 'ecs' ? 'on Fargate' : a.kind}`);
  return startAndFollow(account, name, { app: name, action: 'prewarm', capacity }, wait);
}
