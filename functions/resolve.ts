import { lambda } from '../src/steps/lambda.js';
import { resolveStep } from '../src/steps/resolve.js';

export const { handler, withDeps } = lambda('resolve', resolveStep);
