import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// The same files serverless.yml loads with ${file(...)}.
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function loadDefinition(name: string): unknown {
  return parse(readFileSync(join(ROOT, 'statemachines', `${name}.asl.yml`), 'utf8'));
}

/** The dispatch function's EventBridge patterns, from the generator serverless.yml uses. */
export function eventPatterns(config: unknown, bucket: string): Record<string, Record<string, unknown>> {
  const require = createRequire(import.meta.url);
  const { patterns } = require(join(ROOT, 'deploy', 'events.cjs')) as { patterns: (doc: unknown, bucket: string) => Record<string, Record<string, unknown>> };
  return patterns(config, bucket);
}

/** The capacity state machine's lifecycle-event pattern (null when no app is scaled). */
export function lifecyclePattern(config: unknown): Record<string, unknown> | null {
  const require = createRequire(import.meta.url);
  return (require(join(ROOT, 'deploy', 'events.cjs')) as { lifecyclePattern: (doc: unknown) => Record<string, unknown> | null }).lifecyclePattern(config);
}

/** The status-alarm pattern that starts replacements (null when no eip app replaces). */
export function alarmPattern(config: unknown): Record<string, unknown> | null {
  const require = createRequire(import.meta.url);
  return (require(join(ROOT, 'deploy', 'events.cjs')) as { alarmPattern: (doc: unknown) => Record<string, unknown> | null }).alarmPattern(config);
}
