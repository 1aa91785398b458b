import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// The same files serverless.yml loads with ${file(...)}.
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function loadDefinition(name: string): unknown {
  return parse(readFileSync(join(ROOT, 'statemachines', `${name}.asl.yml`), 'utf8'));
}

/** The release rule's event pattern, with the stack's variables filled in. */
export function loadEventPattern(name: string, vars: Record<string, string>): Record<string, unknown> {
  let text = readFileSync(join(ROOT, 'events', `${name}.yml`), 'utf8');
  text = text.replace(/\$\{self:custom\.([A-Za-z0-9]+)\}/g, (m, k: string) => {
    if (!(k in vars)) throw new Error(`events/${name}.yml uses ${m}, which the local runner does not know`);
    return vars[k];
  });
  return parse(text);
}
