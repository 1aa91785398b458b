import { awaitApproval } from '../src/steps/approval.js';
import { lambda } from '../src/steps/lambda.js';

export const { handler, withDeps } = lambda('approval', awaitApproval);
