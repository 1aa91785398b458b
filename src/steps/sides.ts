import type { RouteRef } from '../aws/elbv2.js';
import type { Colour, RoutedAppConfig } from '../core/config.js';
import { InvalidInput } from '../core/errors.js';
import type { Plan, RoutedPlan, Side } from './types.js';
import { KINDS } from '../core/kinds.js';

// An app's two colours and its route, as the config names them. Shared by plan, the guard and
// the capacity steps; its own module so that none of them loads another's adapters.

export function side(app: RoutedAppConfig, colour: Colour): Side {
  return { colour, ...app[colour] };
}

export function routeOf(app: RoutedAppConfig): RouteRef {
  return app.ruleArn ? { listenerArn: app.listenerArn, ruleArn: app.ruleArn } : { listenerArn: app.listenerArn };
}

/** Is it the plan of a routed kind (behind a load balancer)? */
export function isRoutedPlan(plan: Plan): plan is RoutedPlan {
  return KINDS[plan.kind].routed;
}

/** The plan of an app behind a load balancer; another kind's plan here is a wrong input. */
export function routedPlan(plan: Plan, step: string): RoutedPlan {
  if (!isRoutedPlan(plan)) throw new InvalidInput(`${step} is for apps behind a load balancer, not ${plan.kind}`);
  return plan;
}
