import { type RouteRef, readRoute, writeRoute } from '../aws/elbv2.js';
import { appConfig } from '../core/config.js';
import { SmokeCheckFailed, TrafficNotShifted } from '../core/errors.js';
import type { Release } from '../core/release.js';
import { routeSends, shiftedActions } from '../core/route.js';
import type { Deps } from './deps.js';
import { checkUrl } from './http.js';
import type { Plan } from './types.js';
import { isRouted } from '../core/kinds.js';
import { isRoutedPlan } from './sides.js';

// Test traffic: green is put behind the app's test listener or test rule (read back), and the
// configured checks go through it. A failure rolls back before any production request reaches
// green. Safe to re-run: the test route is only written when it does not point at green yet.

export async function smokeTest(deps: Deps, input: { release: Release; plan: Plan }) {
  const { release } = input;
  const app = appConfig(deps.config, release.app);
  const plan = input.plan;
  if (!isRouted(app) || !isRoutedPlan(plan) || !app.test) return { checks: 0, skipped: true };
  const test = app.test;
  const route: RouteRef = test.ruleArn ? { listenerArn: app.listenerArn, ruleArn: test.ruleArn } : { listenerArn: test.listenerArn! };
  const { elbv2 } = deps.clients;
  const green = plan.idle.targetGroupArn;
  const actions = await readRoute(elbv2, route);
  if (!routeSends(actions, green, plan.live.targetGroupArn)) {
    await writeRoute(elbv2, route, shiftedActions(actions, green, plan.live.targetGroupArn, 100));
    if (!routeSends(await readRoute(elbv2, route), green, plan.live.targetGroupArn))
      throw new TrafficNotShifted(`the test ${test.ruleArn ? 'rule' : 'listener'} was modified but the read-back does not send its traffic to ${plan.idle.colour} yet`);
  }
  for (const check of test.checks) {
    const problem = await checkUrl(deps, test.baseUrl, check);
    if (problem) throw new SmokeCheckFailed(`smoke check through the test ${test.ruleArn ? 'rule' : 'listener'} failed on ${plan.idle.colour} (${release.version}): ${problem}`);
  }
  return { checks: test.checks.length, skipped: false };
}
