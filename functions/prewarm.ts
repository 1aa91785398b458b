import { lambda } from '../src/steps/lambda.js';
import { prewarm } from '../src/steps/prewarm.js';

export const { handler, withDeps } = lambda('prewarm', prewarm);
