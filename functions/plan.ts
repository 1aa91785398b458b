import { lambda } from '../src/steps/lambda.js';
import { plan } from '../src/steps/plan.js';

export const { handler, withDeps } = lambda('plan', plan);
