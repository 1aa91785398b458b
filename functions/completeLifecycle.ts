import { completeLifecycle } from '../src/steps/follow.js';
import { lambda } from '../src/steps/lambda.js';

export const { handler, withDeps } = lambda('completeLifecycle', completeLifecycle);
