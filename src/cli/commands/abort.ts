import { changeLock, readLock } from '../../aws/dynamodb.js';
import { readRoute } from '../../aws/elbv2.js';
import { describeExecution, stopExecution } from '../../aws/sfn.js';
import { abortedLock } from '../../core/lock.js';
import { colourWeights, liveColour } from '../../core/route.js';
import { functionTimeouts } from '../../local/definitions.js';
import { answerApproval } from '../../steps/approval.js';
import { routeOf } from '../../steps/sides.js';
import type { Account } from '../account.js';
import { app, follow, type Result, runningExecutions, startAndFollow } from './shared.js';
import { isRouted } from '../../core/kinds.js';

// `greenlight abort <app>`: stop the running release, let go of its lock, then clean up with a
// new execution: a rollback when traffic had started to move, else a retire of the half-made green.

/** The lock function's timeout (serverless.yml) and a margin: no lock write of a stopped execution lands later. */
const lockWriteWindowSeconds = () => (functionTimeouts().byFunction.lock ?? functionTimeouts().default) + 5;

export async function abort(account: Account, name: string, wait: boolean): Promise<Result> {
  const a = app(account, name);
  const { dynamodb, sfn } = account.clients;
  const lock = await readLock(dynamodb, account.names.table, name);
  if (!lock.owner) {
    // A release that has not taken the lock yet (just started, or waiting behind another that
    // finished meanwhile) has changed nothing: stopping it is the whole abort.
    const waiting = (await runningExecutions(account)).filter((e) => e.app === name);
    if (!waiting.length) return { code: 1, text: `no release of ${name} holds the lock or is running: nothing to abort\n`, json: { aborted: null } };
    for (const e of waiting) await stopExecution(sfn, e.executionArn, 'Aborted', `aborted with greenlight abort ${name} before it took the lock`);
    const names = waiting.map((e) => e.name);
    // StopExecution does not stop a Lambda invocation already running: a Lock step in flight may
    // still take the lock for the stopped execution. Until such a write can no longer land (the
    // lock function's timeout), a lock found held by one of them is let go.
    const stopped = new Set(waiting.map((e) => e.executionArn));
    let freed = false;
    if (wait)
      for (let waited = 0, bound = lockWriteWindowSeconds(); waited <= bound && !freed; waited += 2) {
        freed = (await changeLock(dynamodb, account.names.table, name, (l) => (l.owner && stopped.has(l.owner) ? { next: abortedLock(l), result: true } : { result: false }))) === true;
        if (!freed) await account.sleep(2);
      }
    const note = wait ? '' : ` (without --wait, a lock its last step may still take is let go when its lease runs out)`;
    return {
      code: 0,
      text: `stopped ${names.join(', ')} before it took the lock: nothing had changed${freed ? '; let go of the lock its last step took' : ''}${note}\n`,
      json: { aborted: waiting.map((e) => e.executionArn), cleanup: null, lockFreed: freed },
    };
  }
  if (lock.approvalToken) {
    // Waiting at the approval gate: the release rolls itself back (nothing moved in production).
    const r = await answerApproval(account.deps(), name, 'abort', `greenlight abort (${process.env.USER ?? 'cli'})`);
    if (!wait || !r) return { code: 0, text: `rejected at the approval gate: ${lock.ownerVersion}\n`, json: { aborted: lock.owner, cleanup: 'rollback' } };
    const f = await follow(account, name, lock.owner, `rejected ${lock.ownerVersion} at the approval gate: it rolls back\n`);
    return { ...f, code: (f.json as { outcome?: string }).outcome === 'rolled-back' ? 0 : 1, json: { aborted: lock.owner, cleanup: 'rollback', ...(f.json as object) } };
  }
  const owner = await describeExecution(sfn, lock.owner).catch(() => null);
  if (owner?.status === 'RUNNING') await stopExecution(sfn, lock.owner, 'Aborted', `aborted with greenlight abort ${name}`);
  // Let go of the lock the stopped owner held (its lease renewals race this: decided again on the lock as it is).
  if (!(await changeLock(dynamodb, account.names.table, name, (l) => (l.owner === lock.owner ? { next: abortedLock(l), result: true } : { result: false }), lock)))
    return { code: 1, text: `the lock of ${name} changed while aborting; run greenlight status ${name} and try again\n`, json: { aborted: lock.owner } };
  let header = `stopped ${lock.owner.split(':').pop()} (${lock.ownerVersion})\n`;
  if (!isRouted(a)) return { code: 0, text: `${header}the Elastic IP was not moved by an unfinished release; run greenlight status ${name}\n`, json: { aborted: lock.owner } };
  const w = colourWeights(await readRoute(account.clients.elbv2, routeOf(a)), a);
  const cleanup = liveColour(w) === 'split' ? 'rollback' : 'retire';
  header += `${cleanup === 'rollback' ? 'traffic was split: rolling back' : 'traffic had not moved: retiring the unfinished colour'}\n`;
  account.live?.(header);
  const r = await startAndFollow(account, name, { app: name, action: cleanup }, wait);
  return { ...r, text: account.live ? r.text : `${header}${r.text}`, json: { aborted: lock.owner, cleanup, ...(r.json as object) } };
}
