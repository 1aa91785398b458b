import { dispatch } from '../src/steps/dispatch.js';
import { lambda } from '../src/steps/lambda.js';

export const { handler, withDeps } = lambda('dispatch', dispatch);
