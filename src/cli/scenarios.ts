import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../local/definitions.js';

export const SCENARIO_DIR = join(ROOT, 'scenarios');

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => f.replace(/\.yml$/, ''))
    .sort();
}

/** A shipped scenario name, or a path to a YAML file. */
export function scenarioPath(nameOrFile: string): string {
  if (existsSync(nameOrFile) && nameOrFile.endsWith('.yml')) return nameOrFile;
  const p = join(SCENARIO_DIR, `${nameOrFile}.yml`);
  if (!existsSync(p)) throw new UsageError(`no scenario "${nameOrFile}": use one of ${scenarioNames().join(', ')} or a path to a .yml file`);
  return p;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
