import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { AwsResourceNotFound } from '../core/errors.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';

registerClient('sfn', (config) => new SFNClient(config));

export type StartResult = { started: true; executionArn: string } | { started: false; reason: 'duplicate' };

/** ExecutionAlreadyExists means this exact upload already has its execution: not an error. */
export async function startExecution(sfn: SFNClient, stateMachineArn: string, name: string, input: unknown): Promise<StartResult> {
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return { started: true, executionArn: out.executionArn! };
  } catch (err) {
    if ((err as Error)?.name === 'ExecutionAlreadyExists') return { started: false, reason: 'duplicate' };
    return call('states:StartExecution', () => Promise.reject(err));
  }
}

export interface ExecutionInfo {
  executionArn: string;
  name: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

export async function describeExecution(sfn: SFNClient, executionArn: string): Promise<ExecutionInfo> {
  const out = await call(`states:DescribeExecution ${executionArn}`, () => sfn.send(new DescribeExecutionCommand({ executionArn })));
  return { ...out, executionArn: out.executionArn ?? executionArn, name: out.name ?? '', status: String(out.status) };
}

/** The newest executions of a state machine (one page, newest first). */
export async function listExecutions(sfn: SFNClient, stateMachineArn: string, status?: 'RUNNING'): Promise<ExecutionInfo[]> {
  const out = await call(`states:ListExecutions ${stateMachineArn}`, () =>
    sfn.send(new ListExecutionsCommand({ stateMachineArn, ...(status ? { statusFilter: status } : {}), maxResults: 50 })),
  );
  return (out.executions ?? []).map((e) => ({ executionArn: e.executionArn ?? '', name: e.name ?? '', status: String(e.status), startDate: e.startDate, stopDate: e.stopDate }));
}

export async function stopExecution(sfn: SFNClient, executionArn: string, error: string, cause: string): Promise<void> {
  await call(`states:StopExecution ${executionArn}`, () => sfn.send(new StopExecutionCommand({ executionArn, error, cause })));
}

export async function stateMachineExists(sfn: SFNClient, stateMachineArn: string): Promise<boolean> {
  try {
    await call(`states:DescribeStateMachine ${stateMachineArn}`, () => sfn.send(new DescribeStateMachineCommand({ stateMachineArn })));
    return true;
  } catch (err) {
    if (err instanceof AwsResourceNotFound) return false;
    throw err;
  }
}

export async function sendTaskSuccess(sfn: SFNClient, taskToken: string, output: unknown): Promise<void> {
  await call('states:SendTaskSuccess', () => sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
}

export async function sendTaskFailure(sfn: SFNClient, taskToken: string, error: string, cause: string): Promise<void> {
  await call('states:SendTaskFailure', () => sfn.send(new SendTaskFailureCommand({ taskToken, error, cause })));
}
