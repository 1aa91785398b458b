import { join } from 'node:path';
import { ROOT } from '../../src/local/definitions.js';
import { loadScenario, loadScenarioFile, type SimulationResult, simulate } from '../../src/local/simulate.js';
import { changesInfrastructure } from '../../src/local/transport.js';

export function runShipped(name: string): Promise<SimulationResult> {
  return simulate(loadScenarioFile(join(ROOT, 'scenarios', `${name}.yml`)));
}

export function runInline(doc: Record<string, unknown>): Promise<SimulationResult> {
  return simulate(loadScenario({ name: 'inline', description: 'test', ...doc }));
}

export const webApp = {
  name: 'web',
  instances: 2,
  artifact: 'ami',
  initialVersion: '1.0.0',
  healthCheck: { intervalSeconds: 10, healthyThresholdCount: 3, unhealthyThresholdCount: 2 },
  deregistrationDelaySeconds: 10,
  greenlight: { retire: { keepWarmInstances: 1, keepWarmMinutes: 2 }, health: { pollSeconds: 5, timeoutSeconds: 300 } },
};

export function mutatingCalls(r: SimulationResult, command?: string) {
  return r.calls.filter((c) => changesInfrastructure(c) && (!command || c.command === command));
}

/** Every change to the app's production route, as the load balancer recorded it: when, and green's share in percent. */
export function greenShares(r: SimulationResult, app: string): { t: number; percent: number }[] {
  const a = r.config.apps[app] as { listenerArn: string; ruleArn?: string; green: { targetGroupArn: string } };
  const arn = a.ruleArn ?? a.listenerArn;
  return r.world.elb.routeChanges
    .filter((c) => c.arn === arn)
    .map((c) => {
      const groups = c.actions.find((x) => x.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
      const total = groups.reduce((n, g) => n + (g.Weight ?? 1), 0);
      const green = groups.filter((g) => g.TargetGroupArn === a.green.targetGroupArn).reduce((n, g) => n + (g.Weight ?? 1), 0);
      return { t: c.t, percent: total ? Math.round((100 * green) / total) : 0 };
    });
}

/** Every change of a group's desired capacity or a service's desired count (by name), as the simulated API took it. */
export function desiredChanges(r: SimulationResult, name: string): { t: number; from: number; to: number; change: string }[] {
  return r.world.capacityChanges.filter((c) => c.name === name).map((c) => ({ t: c.t, from: c.from, to: c.to, change: `${c.from} → ${c.to}` }));
}

/** When the target group (by name) first had `n` healthy targets out of `n`, as the load balancer recorded it; undefined if never. */
export function allHealthyAt(r: SimulationResult, targetGroup: string, n: number): number | undefined {
  return r.world.elb.healthChanges.find((h) => h.targetGroup === targetGroup && h.healthy === n && h.targets === n)?.t;
}
