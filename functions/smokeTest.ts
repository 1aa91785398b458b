import { lambda } from '../src/steps/lambda.js';
import { smokeTest } from '../src/steps/smoke.js';

export const { handler, withDeps } = lambda('smokeTest', smokeTest);
