import { lambda } from '../src/steps/lambda.js';
import { retireOld } from '../src/steps/traffic.js';

export const { handler, withDeps } = lambda('retireOld', retireOld);
