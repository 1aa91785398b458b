import { lambda } from '../src/steps/lambda.js';
import { lockStep } from '../src/steps/lock.js';

export const { handler, withDeps } = lambda('lock', lockStep);
