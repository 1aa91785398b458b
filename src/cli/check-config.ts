import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../core/config.js';

export function checkConfig(file: string): number {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`${file}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const config = parseConfig(doc);
    for (const [name, app] of Object.entries(config.apps))
      process.stdout.write(
        `ok  ${name}: ${app.kind}, ${app.kind === 'eip' ? `Elastic IP ${app.allocationId}, stamp ${app.stamp}` : `${app.ruleArn ? 'rule' : 'listener'} route`}, ${app.kind === 'ecs' ? `${app.capacity} capacity` : `${app.artifact.type} artifacts`}\n`,
      );
    return 0;
  } catch (e) {
    process.stderr.write(`${file}: ${(e as Error).message}\n`);
    return 1;
  }
}
