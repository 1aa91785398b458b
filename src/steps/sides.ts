import type { RouteRef } from '../aws/elbv2.js';
import type { AppConfig, Colour } from '../core/config.js';
import type { Side } from './types.js';

// An app's two colours and its route, as the config names them. Shared by plan, the guard and
// the capacity steps; its own module so that none of them loads another's adapters.

type RoutedApp = Exclude<AppConfig, { kind: 'eip' }>;

export function side(app: RoutedApp, colour: Colour): Side {
  return { colour, ...app[colour] };
}

export function routeOf(app: RoutedApp): RouteRef {
  return app.ruleArn ? { listenerArn: app.listenerArn, ruleArn: app.ruleArn } : { listenerArn: app.listenerArn };
}
