import { readHistory } from '../../aws/dynamodb.js';
import type { HistoryRecord } from '../../core/history.js';
import type { Account } from '../account.js';
import { app, doneWord, type Result } from './shared.js';

// `greenlight history <app>`: the recorded releases, newest first.

export async function history(account: Account, name: string, limit: number): Promise<Result> {
  app(account, name);
  const records = await readHistory(account.clients.dynamodb, account.names.table, name, limit);
  const cv = (c: HistoryRecord['before']) => (c ? `${c.colour} ${c.version ?? '?'}` : '-');
  // A retire or prewarm that succeeded moved no traffic: its word is what it did, its colours are in its reason.
  const moves = (r: HistoryRecord) => (r.action === 'retire' || r.action === 'prewarm' ? '' : ` ${cv(r.before)} → ${cv(r.after)}`);
  const lines = records.map(
    (r) =>
      `${`${r.startedAt}  ${r.action.padEnd(8)} ${r.version.padEnd(12)} ${doneWord(r.outcome, r.action).padEnd(12)}${moves(r)}${r.artifact ? `  s3v=${r.artifact.versionId}` : ''}`.trimEnd()}${r.reason ? `\n      ${r.reason}` : ''}${r.judgement ? `\n      canary judged ${r.judgement}` : ''}`,
  );
  return { code: 0, text: records.length ? `${lines.join('\n')}\n` : `no releases of ${name} recorded yet\n`, json: { app: name, releases: records } };
}

