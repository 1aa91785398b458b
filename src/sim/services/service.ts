import type { StepFunctionsBackend } from '../api.js';
import type { World } from '../world.js';

// One simulated AWS service: everything the simulator knows of it in one place. The transport
// (src/local/transport.ts), IAM (src/sim/authz.ts) and the command list derive their tables from
// the registry of these (./index.ts), so a new service is one file plus its line there.

/** An AWS error answer: the error code and its HTTP status, as the service sends them. */
export type ErrorAnswer = readonly [code: string, status: number];

// biome-ignore lint/suspicious/noExplicitAny: SDK inputs/outputs are checked by the SDK types at the call sites.
export type Handler = (input: any) => any;

export interface SimService<N extends string = string> {
  /** The key of its client in `Clients` (src/aws/clients.ts). */
  name: N;
  /** IAM's prefix for its actions (`elasticloadbalancing:ModifyListener`). */
  iamPrefix: string;
  /** The SDK package: its exception classes turn the simulator's error codes into the SDK's own errors. */
  sdk: Record<string, unknown>;
  /** The SDK's base exception class of the service (what an unmodelled code is thrown as). */
  baseException: string;
  /** What the service answers when it throttles, fails or denies (the fault kinds that are AWS answers). */
  faults: { throttle: ErrorAnswer; 'server-error': ErrorAnswer; 'access-denied': ErrorAnswer };
  /** Its commands by SDK command name (`ModifyListenerCommand`), answered from the world. */
  commands: (world: World, sfn: StepFunctionsBackend) => Record<string, Handler>;
}

/** A service definition, its name kept as a literal type (the registry's keys are the `Service` type). */
export function defineService<const N extends string>(s: SimService<N>): SimService<N> {
  return s;
}
