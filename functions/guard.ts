import { onGuardAlarm } from '../src/steps/guard.js';
import { lambda } from '../src/steps/lambda.js';

export const { handler, withDeps } = lambda('guard', onGuardAlarm);
