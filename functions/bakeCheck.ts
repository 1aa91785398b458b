import { lambda } from '../src/steps/lambda.js';
import { bakeCheck } from '../src/steps/traffic.js';

export const { handler, withDeps } = lambda('bakeCheck', bakeCheck);
