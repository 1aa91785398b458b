import type { RouteRef } from '../aws/elbv2.js';
import type { Colour, RoutedAppConfig } from '../core/config.js';
import { InvalidInput } from '../core/errors.js';
import type { Plan, RoutedPlan, Side } from './types.js';

// An app's two colours and its route, as the config names them. Shared by plan, the guard and
// the capacity steps; its own module so that none of them loads another's adapters.

export function side(app: RoutedAppConfig, colour: Colour): Side {
  return { colour, ...app[colour] };
}

export function routeOf(app: RoutedAppConfig): RouteRef {
  return app.ruleArn ? { listenerArn: app.listenerArn, ruleArn: app.ruleArn } : { listenerArn: app.listenerArn };
}

/** The plan of an app behind a load balancer (asg, ecs); an eip plan here is a wrong input. */
export function routedPlan(plan: Plan, step: string): RoutedPlan {
  if (plan.kind === 'eip') throw new InvalidInput(`${step} is for apps behind a load balancer (asg, ecs), not eip`);
  return plan;
}
