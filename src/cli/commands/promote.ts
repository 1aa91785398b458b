import { answerApproval } from '../../steps/approval.js';
import type { Account } from '../account.js';
import { app, type Result } from './shared.js';

// `greenlight promote <app>`: answer the release waiting at the approval gate.

/** Approve the release waiting at the app's approval gate. */
export async function promote(account: Account, name: string): Promise<Result> {
  app(account, name);
  const r = await answerApproval(account.deps(), name, 'promote', `greenlight promote (${process.env.USER ?? 'cli'})`);
  if (!r) return { code: 1, text: `no release of ${name} waits for approval\n`, json: { promoted: null } };
  return { code: 0, text: `promoted ${r.version} (${r.execution.split(':').pop()}): traffic moves now\n`, json: { promoted: r.execution, version: r.version } };
}

