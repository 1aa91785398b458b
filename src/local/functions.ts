import * as approval from '../../functions/approval.js';
import * as bakeCheck from '../../functions/bakeCheck.js';
import * as checkCapacity from '../../functions/checkCapacity.js';
import * as checkGreen from '../../functions/checkGreen.js';
import * as classify from '../../functions/classify.js';
import * as completeLifecycle from '../../functions/completeLifecycle.js';
import * as dispatch from '../../functions/dispatch.js';
import * as drainCheck from '../../functions/drainCheck.js';
import * as drainStart from '../../functions/drainStart.js';
import * as finish from '../../functions/finish.js';
import * as guard from '../../functions/guard.js';
import * as joinCheck from '../../functions/joinCheck.js';
import * as lock from '../../functions/lock.js';
import * as markUnhealthy from '../../functions/markUnhealthy.js';
import * as plan from '../../functions/plan.js';
import * as prepareCapacity from '../../functions/prepareCapacity.js';
import * as prepareGreen from '../../functions/prepareGreen.js';
import * as prewarm from '../../functions/prewarm.js';
import * as reconcile from '../../functions/reconcile.js';
import * as resolve from '../../functions/resolve.js';
import * as retireOld from '../../functions/retireOld.js';
import * as rollback from '../../functions/rollback.js';
import * as setTaskCount from '../../functions/setTaskCount.js';
import * as smokeTest from '../../functions/smokeTest.js';
import * as switchTraffic from '../../functions/switchTraffic.js';
import type { Deps } from '../steps/deps.js';

// The real Lambda handlers, by their serverless.yml function names.
export const FUNCTIONS: Record<string, { withDeps: (deps: Deps) => (event: never, context: never) => Promise<unknown> }> = {
  dispatch,
  guard,
  resolve,
  lock,
  plan,
  prepareCapacity,
  checkCapacity,
  prepareGreen,
  prewarm,
  checkGreen,
  bakeCheck,
  smokeTest,
  approval,
  switchTraffic,
  retireOld,
  rollback,
  markUnhealthy,
  finish,
  classify,
  joinCheck,
  setTaskCount,
  completeLifecycle,
  drainStart,
  drainCheck,
  reconcile,
};
