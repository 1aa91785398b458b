import type { Account } from '../account.js';
import { app, type Result, startAndFollow } from './shared.js';

// `greenlight rollback <app>`: back to the previous version (at once while its colour is warm at
// full size, else scaled up or re-released first), as an execution of the release state machine.

export async function rollback(account: Account, name: string, wait: boolean): Promise<Result> {
  app(account, name);
  return startAndFollow(account, name, { app: name, action: 'rollback' }, wait);
}
