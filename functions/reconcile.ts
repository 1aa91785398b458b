import { reconcile } from '../src/steps/capacity.js';
import { lambda } from '../src/steps/lambda.js';

export const { handler, withDeps } = lambda('reconcile', reconcile);
