import { lambda } from '../src/steps/lambda.js';
import { finish } from '../src/steps/record.js';

export const { handler, withDeps } = lambda('finish', finish);
