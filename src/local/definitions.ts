import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ACCOUNT, REGION } from '../sim/world.js';

/** The simulated account's two state machines. */
export const RELEASE_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:greenlight-sim-release`;
export const CAPACITY_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:greenlight-sim-capacity`;

// The same files serverless.yml loads with ${file(...)}.
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Parsed once per process and file content (every simulation reads both machines). */
const DEFINITIONS = new Map<string, { text: string; parsed: unknown }>();

export function loadDefinition(name: string): unknown {
  const text = readFileSync(join(ROOT, 'statemachines', `${name}.asl.yml`), 'utf8');
  const hit = DEFINITIONS.get(name);
  if (hit?.text === text) return structuredClone(hit.parsed);
  const parsed = parse(text);
  DEFINITIONS.set(name, { text, parsed });
  return structuredClone(parsed);
}

type Pattern = Record<string, unknown>;
interface EventsModule {
  patterns: (doc: unknown, bucket: string) => Record<string, Pattern>;
  lifecyclePatterns: (doc: unknown) => Pattern[];
  alarmPatterns: (doc: unknown) => Pattern[];
  guardPatterns: (doc: unknown) => Pattern[];
}

/** deploy/events.cjs: the generator serverless.yml uses for every EventBridge pattern. */
function events(): EventsModule {
  return createRequire(import.meta.url)(join(ROOT, 'deploy', 'events.cjs')) as EventsModule;
}

/** The dispatch function's EventBridge patterns. */
export function eventPatterns(config: unknown, bucket: string): Record<string, Pattern> {
  return events().patterns(config, bucket);
}

/** The capacity state machine's lifecycle-event patterns, one per rule (none when no app is scaled). */
export function lifecyclePatterns(config: unknown): Pattern[] {
  return events().lifecyclePatterns(config);
}

/** The status-alarm patterns that start replacements, one per rule (none when no eip app replaces). */
export function alarmPatterns(config: unknown): Pattern[] {
  return events().alarmPatterns(config);
}

/** The guard-alarm patterns, one per rule (none when no app names guard alarms). */
export function guardPatterns(config: unknown): Pattern[] {
  return events().guardPatterns(config);
}

/** Each function's configured timeout in seconds (serverless.yml: the function's own, else the provider's). */
export function functionTimeouts(): { byFunction: Record<string, number>; default: number } {
  const doc = parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as {
    provider?: { timeout?: number };
    functions?: Record<string, { timeout?: number }>;
  };
  const dflt = typeof doc.provider?.timeout === 'number' ? doc.provider.timeout : 6;
  const byFunction = Object.fromEntries(Object.entries(doc.functions ?? {}).map(([name, f]) => [name, typeof f?.timeout === 'number' ? f.timeout : dflt]));
  return { byFunction, default: dflt };
}
