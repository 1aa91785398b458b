import { readLock } from '../aws/dynamodb.js';
import { sendTaskFailure, sendTaskSuccess } from '../aws/sfn.js';
import { InvalidInput } from '../core/errors.js';
import type { Release } from '../core/release.js';
import type { Deps } from './deps.js';
import { changeLock, type Execution } from './lock.js';
import { tell } from './record.js';
import type { Plan } from './types.js';

// The approval gate. The release's AwaitApproval state is a `.waitForTaskToken` Lambda task: this
// handler keeps the token on the app's lock item (the execution holds the lock) and announces
// "Approval Needed"; `greenlight promote` answers SendTaskSuccess, `greenlight abort`
// SendTaskFailure (error ApprovalRejected, which the state machine rolls back). The task's
// timeout (TimeoutSecondsPath) ends the wait with States.Timeout: then onTimeout decides.

export async function awaitApproval(deps: Deps, input: { release: Release; plan: Plan; token: string; execution: Execution }) {
  const { app } = input.release;
  const kept = await changeLock(deps, app, (lock) => {
    if (lock.owner !== input.execution.id) throw new InvalidInput(`this execution no longer holds ${app}'s lock: not waiting for approval`);
    return lock.approvalToken === input.token ? { result: true } : { next: { ...lock, rev: lock.rev + 1, approvalToken: input.token }, result: true };
  });
  if (!kept) throw new InvalidInput('the lock kept changing while registering the approval token');
  await tell(deps, { event: 'approval-needed', release: input.release, execution: input.execution, extra: { before: { colour: input.plan.live.colour, version: input.plan.live.version } } });
  return { waiting: true };
}

/** promote / abort: answer the waiting release of `app`. Null when none waits for approval. */
export async function answerApproval(deps: Deps, app: string, decision: 'promote' | 'abort', who: string): Promise<{ execution: string; version?: string } | null> {
  const { dynamodb, sfn } = deps.clients;
  const lock = await readLock(dynamodb, deps.env.table, app);
  if (!lock.owner || !lock.approvalToken) return null;
  if (decision === 'promote') await sendTaskSuccess(sfn, lock.approvalToken, { approved: true, by: who, at: deps.now().toISOString() });
  else await sendTaskFailure(sfn, lock.approvalToken, 'ApprovalRejected', `aborted by ${who}`);
  // The token is answered: forget it (unless a later wait has put its own there meanwhile).
  await changeLock(
    deps,
    app,
    (l) => {
      if (l.approvalToken !== lock.approvalToken) return { result: false };
      const { approvalToken: _t, ...rest } = l;
      return { next: { ...rest, rev: l.rev + 1 }, result: true };
    },
    lock,
  );
  return { execution: lock.owner, version: lock.ownerVersion };
}
