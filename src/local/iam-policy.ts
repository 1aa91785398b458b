import { createRequire } from 'node:module';
import { join } from 'node:path';
import { requestsOf } from '../sim/authz.js';
import { evaluate, type Statement } from '../sim/iam.js';
import { ACCOUNT, REGION, type World } from '../sim/world.js';
import { ROOT } from './definitions.js';

// The functions' IAM policy for the simulated account: the same statements deploy/iam.cjs gives
// the deployed stack (serverless.yml loads it), for the scenario's config, with CloudFormation's
// intrinsic functions resolved to the simulated account's names.

export interface StackNames {
  bucket: string;
  table: string;
  topicArn: string;
  releaseStateMachineArn: string;
  capacityStateMachineArn: string;
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON.
type Json = any;

/** Ref, Fn::GetAtt and Fn::Sub over the stack's own resources and pseudo parameters. */
function resolver(n: StackNames) {
  const attrs: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::StackName': 'greenlight-sim',
    'ArtifactBucket.Arn': `arn:aws:s3:::${n.bucket}`,
    ArtifactBucket: n.bucket,
    'GreenlightTable.Arn': `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${n.table}`,
    GreenlightTable: n.table,
    ReleaseTopic: n.topicArn,
    ReleaseStateMachine: n.releaseStateMachineArn,
    'ReleaseStateMachine.Name': n.releaseStateMachineArn.split(':').pop()!,
    CapacityStateMachine: n.capacityStateMachineArn,
    'CapacityStateMachine.Name': n.capacityStateMachineArn.split(':').pop()!,
    'IamRoleLambdaExecution.Arn': `arn:aws:iam::${ACCOUNT}:role/greenlight-sim-${REGION}-lambdaRole`,
    'FailureQueue.Arn': `arn:aws:sqs:${REGION}:${ACCOUNT}:greenlight-sim-failures`,
  };
  const value = (name: string) => {
    if (!(name in attrs)) throw new Error(`deploy/iam.cjs refers to ${name}, which the simulator does not name`);
    return attrs[name];
  };
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    if ('Ref' in v) return value(v.Ref);
    if ('Fn::GetAtt' in v) return value([v['Fn::GetAtt']].flat().join('.'));
    if ('Fn::Sub' in v) return String(v['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_m, name: string) => value(name));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return walk;
}

interface IamModule {
  statementsFor: (doc: unknown) => Json[];
  functionStatements: (doc: unknown, fn: string) => Json[];
  functionNames: () => string[];
}
const iamModule = () => createRequire(import.meta.url)(join(ROOT, 'deploy', 'iam.cjs')) as IamModule;

/** Every statement of the stack for this config (all functions' together), as the simulated account evaluates them. */
export function stackPolicy(config: unknown, names: StackNames): Statement[] {
  return resolver(names)(iamModule().statementsFor(config)) as Statement[];
}

/** Each function's own role (its statements), by function name, as the simulated account evaluates them. */
export function functionPolicies(config: unknown, names: StackNames): Map<string, Statement[]> {
  const m = iamModule();
  const resolve = resolver(names);
  return new Map(m.functionNames().map((fn) => [fn, resolve(m.functionStatements(config, fn)) as Statement[]]));
}

/** Denial text in AWS's words: who, what, on which resource, and why. */
function denial(caller: string, action: string, resource: string, explicit: boolean, statement?: string): string {
  const who = `arn:aws:sts::${ACCOUNT}:assumed-role/greenlight-sim-${caller}-role/greenlight-sim-${caller}`;
  const why = explicit ? `with an explicit deny in an identity-based policy (${statement})` : `because no identity-based policy allows the ${action} action`;
  return `User: ${who} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

/** The transport's IAM check: every request a call makes must be allowed by the functions' policy. */
export function authorizer(world: World, statements: Statement[] | ((caller: string) => Statement[]), seen?: Map<string, Set<string>>) {
  return (service: string, command: string, input: unknown, caller: string): string | null => {
    const requests = requestsOf(service, command, input, world);
    if (!requests) throw new Error(`the simulator has no IAM model for ${service}:${command} (called by ${caller}): add it to src/sim/authz.ts`);
    const policy = typeof statements === 'function' ? statements(caller) : statements;
    for (const r of requests) {
      if (seen) seen.set(caller, (seen.get(caller) ?? new Set()).add(r.action));
      const d = evaluate(policy, r);
      if (!d.allowed) return denial(caller, r.action, r.resource, d.explicit, d.statement);
    }
    return null;
  };
}
