import { lambda } from '../src/steps/lambda.js';
import { resolve } from '../src/steps/resolve.js';

export const { handler, withDeps } = lambda('resolve', resolve);
