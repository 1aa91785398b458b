import { lambda } from '../src/steps/lambda.js';
import { rollback } from '../src/steps/traffic.js';

export const { handler, withDeps } = lambda('rollback', rollback);
