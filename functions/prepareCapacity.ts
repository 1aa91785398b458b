import { prepareCapacity } from '../src/steps/green.js';
import { lambda } from '../src/steps/lambda.js';

export const { handler, withDeps } = lambda('prepareCapacity', prepareCapacity);
