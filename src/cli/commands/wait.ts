import { readLock } from '../../aws/dynamodb.js';
import type { Account } from '../account.js';
import { app, follow, type Result, runningExecutions } from './shared.js';

// `greenlight wait <app>`: follow the running release to its end; its exit code is the outcome's.

/**
 * Wait until the app's running release ends (the lock's owner, else the newest running execution
 * of the app), following it; the exit code is its outcome's (0 released, rolled back by request,
 * retired; 1 otherwise). Nothing running: says so, exit 0.
 */
export async function waitFor(account: Account, name: string): Promise<Result> {
  app(account, name);
  const lock = await readLock(account.clients.dynamodb, account.names.table, name);
  const running = (await runningExecutions(account)).filter((e) => e.app === name);
  const arn = running.find((e) => e.executionArn === lock.owner)?.executionArn ?? running.sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))[0]?.executionArn;
  if (!arn) return { code: 0, text: `no release of ${name} is running\n`, json: { app: name, running: null } };
  return follow(account, name, arn, `waiting for ${arn.split(':').pop()}\n`);
}
