import { lambda } from '../src/steps/lambda.js';
import { markUnhealthy } from '../src/steps/replace.js';

export const { handler, withDeps } = lambda('markUnhealthy', markUnhealthy);
