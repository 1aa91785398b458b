import { checkCapacity } from '../src/steps/green.js';
import { lambda } from '../src/steps/lambda.js';

export const { handler, withDeps } = lambda('checkCapacity', checkCapacity);
