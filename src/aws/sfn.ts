import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { call } from './errors.js';

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
