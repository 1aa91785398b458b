import { SimAwsError } from './errors.js';
import { SERVICES, type Service } from './services/index.js';
import type { Handler } from './services/service.js';
import { ACCOUNT, REGION, type World } from './world.js';

// The simulated AWS APIs: SDK command name + typed input in, SDK-shaped output out, one file per
// service in ./services/. Only what greenlight and its CLI call is implemented; anything else is
// an explicit error.

export type { Service };

export interface StepFunctionsBackend {
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): { executionArn: string; startDate: Date };
  describeExecution(input: { executionArn: string }): Record<string, unknown>;
  stopExecution(input: { executionArn: string; error?: string; cause?: string }): { stopDate: Date };
  describeStateMachine(input: { stateMachineArn: string }): Record<string, unknown>;
  sendTaskSuccess(input: { taskToken: string; output: string }): Record<string, never>;
  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Record<string, never>;
  listExecutions(input: { stateMachineArn: string; statusFilter?: string; maxResults?: number }): { executions: Record<string, unknown>[] };
}

/** An account with no state machines (for tools that only resolve and plan). */
export const NO_STEP_FUNCTIONS: StepFunctionsBackend = {
  startExecution: (i) => {
    throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
  },
  describeExecution: (i) => {
    throw new SimAwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${i.executionArn}'`);
  },
  stopExecution: (i) => {
    throw new SimAwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${i.executionArn}'`);
  },
  listExecutions: (i) => {
    throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
  },
  describeStateMachine: (i) => {
    throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
  },
  sendTaskSuccess: () => {
    throw new SimAwsError('TaskDoesNotExist', 'Task does not exist anymore');
  },
  sendTaskFailure: () => {
    throw new SimAwsError('TaskDoesNotExist', 'Task does not exist anymore');
  },
};

/** Every simulated service's commands, answered from `world` (Step Functions by `sfn`). */
export function simApi(world: World, sfn: StepFunctionsBackend): Record<Service, Record<string, Handler>> {
  return Object.fromEntries(SERVICES.map((s) => [s.name, s.commands(world, sfn)])) as Record<Service, Record<string, Handler>>;
}

export const SIM_ACCOUNT = ACCOUNT;
export const SIM_REGION = REGION;

let commandNames: Set<string> | undefined;
/** Every command the simulator answers, without "Command" (e.g. ModifyListener). */
export function simulatedCommands(): Set<string> {
  commandNames ??= new Set(Object.values(simApi({} as World, NO_STEP_FUNCTIONS)).flatMap((t) => Object.keys(t).map((k) => k.replace(/Command$/, ''))));
  return commandNames;
}
