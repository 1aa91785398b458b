import * as SDK from '@aws-sdk/client-sfn';
import type { World } from '../world.js';
import { defineService } from './service.js';

// Step Functions, as the simulator answers it: the commands greenlight and its CLI call.

export const sfn = defineService({
  name: 'sfn',
  iamPrefix: 'states',
  sdk: SDK,
  baseException: 'SFNServiceException',
  faults: { throttle: ['ThrottlingException', 400], 'server-error': ['InternalFailure', 500], 'access-denied': ['AccessDeniedException', 403] },
  commands: (_w: World, sfn) => ({
    StartExecutionCommand: (i: { stateMachineArn: string; name?: string; input?: string }) => sfn.startExecution(i),
    DescribeExecutionCommand: (i: { executionArn: string }) => sfn.describeExecution(i),
    DescribeStateMachineCommand: (i: { stateMachineArn: string }) => sfn.describeStateMachine(i),
    SendTaskSuccessCommand: (i: { taskToken: string; output: string }) => sfn.sendTaskSuccess(i),
    SendTaskFailureCommand: (i: { taskToken: string; error?: string; cause?: string }) => sfn.sendTaskFailure(i),
    StopExecutionCommand: (i: { executionArn: string; error?: string; cause?: string }) => sfn.stopExecution(i),
    ListExecutionsCommand: (i: { stateMachineArn: string; statusFilter?: string; maxResults?: number }) => sfn.listExecutions(i),
  }),
});
