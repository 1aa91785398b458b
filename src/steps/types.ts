import type { RouteRef } from '../aws/elbv2.js';
import type { Colour } from '../core/config.js';
import type { Capacity } from '../core/fleet.js';
import type { HealthCheckTiming } from '../core/green-timing.js';
import type { RoutedKind } from '../core/kinds.js';

// What the steps pass each other through the state machine. Small: it is shown in the console.

/** One colour of a routed app (asg, ecs): its target group and its group or service. */
export interface Side {
  colour: Colour;
  targetGroupArn: string;
  /** asg: the colour's group; ecs with ec2 capacity: the group behind the colour's cluster. */
  autoScalingGroupName?: string;
  cluster?: string;
  serviceName?: string;
}

/** What the live side reports, for any kind. */
interface LiveFacts {
  version: string | null;
  /** asg: launch template version number; ecs: task definition ARN; eip: the server's launch template version. */
  pinned: string;
  /** asg: instances (desired); ecs: running tasks; eip: 1. Green gets as many. */
  units: number;
  /** The live Auto Scaling group's capacity (asg, and ecs on ec2 capacity). */
  capacity: Capacity | null;
}

interface PlanCommon {
  /** ecs on ec2 capacity: green's cluster capacity comes up before its service. */
  needsCapacity: boolean;
  alreadyLive: boolean;
  /** alreadyLive because this is a re-upload: the live artifact has the same content (SHA-256). */
  sameContent?: boolean;
}

/** asg, ecs: behind a listener or rule, blue and green. */
export interface RoutedPlan extends PlanCommon {
  kind: RoutedKind;
  route: RouteRef;
  live: Side & LiveFacts;
  idle: Side;
}

/**
 * eip: one server behind an Elastic IP. `colour` names the slot (live "blue", the new server
 * "green") for history and events; there is no target group.
 */
export interface EipPlan extends PlanCommon {
  kind: 'eip';
  address: { allocationId: string; publicIp: string };
  live: LiveFacts & {
    colour: Colour;
    /** The live server. */
    instanceId: string;
    /** The live server's release description (a replacement carries it on). */
    release: string;
  };
  /** For a rollback, the stopped previous server. */
  idle: { colour: Colour; instanceId?: string };
}

/** What Plan decided, by kind (the state machine passes it to every later step). */
export type Plan = RoutedPlan | EipPlan;

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
