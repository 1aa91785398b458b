import type { RouteRef } from '../aws/elbv2.js';
import type { Colour } from '../core/config.js';
import type { Capacity } from '../core/fleet.js';
import type { HealthCheckTiming } from '../core/green-timing.js';

// What the steps pass each other through the state machine. Small: it is shown in the console.

export interface Side {
  colour: Colour;
  targetGroupArn: string;
  /** asg: the colour's group; ecs with ec2 capacity: the group behind the colour's cluster. */
  autoScalingGroupName?: string;
  cluster?: string;
  serviceName?: string;
  /** eip: the instance (the live one; for a rollback, the stopped previous one). */
  instanceId?: string;
}

export interface Plan {
  kind: 'asg' | 'ecs' | 'eip';
  /** asg/ecs: the listener or rule; eip: none (the Elastic IP is `address`). */
  route?: RouteRef;
  address?: { allocationId: string; publicIp: string };
  live: Side & {
    version: string | null;
    /** asg: launch template version number; ecs: task definition ARN. */
    pinned: string;
    /** asg: instances (desired); ecs: running tasks. Green gets as many. */
    units: number;
    /** The live Auto Scaling group's capacity (asg, and ecs on ec2 capacity). */
    capacity: Capacity | null;
    /** eip: the live server's release description (a replacement carries it on). */
    release?: string;
  };
  idle: Side;
  /** ecs on ec2 capacity: green's cluster capacity comes up before its service. */
  needsCapacity: boolean;
  alreadyLive: boolean;
  /** alreadyLive because this is a re-upload: the live artifact has the same content (SHA-256). */
  sameContent?: boolean;
}

export interface CapacityState {
  desired: number;
  active: number;
  ready: boolean;
  deadline: string;
}

export interface Green {
  /** eip: the new instance, once launched. */
  instanceId?: string | null;
  pinned: string;
  desired: number;
  deadline: string;
  ready: boolean;
  inService?: number;
  healthy?: number;
  failedTasks?: number;
  replaced?: number;
  /** When WaitForGreen wakes for the next check (ISO), and why then (src/core/green-timing.ts). */
  nextCheckAt: string;
  nextCheckWhy?: string;
  /** Green's target group health check timing, read once (asg, ecs). */
  healthCheck?: HealthCheckTiming | null;
}

/** What a kind's prepare step returns; the release's PrepareGreen adds when to check first. */
export type PreparedGreen = Omit<Green, 'nextCheckAt'>;

export interface Assessment {
  ready: boolean;
  desired: number;
  /** asg: InService instances on the pinned version; ecs: running tasks. */
  inService: number;
  healthy: number;
  failedTasks: number;
  detail: string;
  instanceId?: string | null;
}
