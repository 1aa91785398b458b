import type { Account } from '../account.js';
import { app, type Result, startAndFollow } from './shared.js';

// `greenlight retire <app>`: scale the colour without traffic to zero now (ends a keep-warm window early).

export async function retire(account: Account, name: string, wait: boolean): Promise<Result> {
  app(account, name);
  return startAndFollow(account, name, { app: name, action: 'retire' }, wait);
}
