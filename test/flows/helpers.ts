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
