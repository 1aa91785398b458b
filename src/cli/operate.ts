
import type { Account } from './account.js';
import { COMMANDS, MUTATING, numberOption, type Parsed } from './parse.js';
import { UsageError } from './scenarios.js';

// One operating command (release, status, rollback, ...) against an account: AWS, a scenario, or
// a simulator session being replayed.

export type Ops = typeof import('./commands/index.js');
export type Result = Awaited<ReturnType<Ops['status']>>;

/** The local checks of an operating command's arguments (before anything reaches an account). */
export function checkOperatorArgs(p: Parsed): void {
  const { command, args } = p as Parsed & { command: string };
  const arity: Record<string, [number, number]> = { status: [0, 1], init: [1, 1], wait: [1, 1], diff: [2, 2], history: [1, 1], release: [2, 2], rollback: [1, 1], retire: [1, 1], abort: [1, 1], promote: [1, 1], prewarm: [2, 2], plan: [2, 2], verify: [1, 1], 'run-local': [1, 1] };
  const [min, max] = arity[command];
  if (args.length < min || args.length > max) throw new UsageError(`usage: greenlight ${COMMANDS[command].usage}`);
  numberOption(p, '--limit');
  const capacity = command === 'prewarm' ? Number(args[1]) : 0;
  if (command === 'prewarm' && (!Number.isInteger(capacity) || capacity < 0 || capacity > 1000)) throw new UsageError(`<capacity> must be a whole number of instances (0-1000), not "${args[1]}"`);
  if (command === 'run-local') {
    if (args[0] !== 'release' && args[0] !== 'capacity') throw new UsageError(`usage: greenlight ${COMMANDS[command].usage} (the state machine is release or capacity)`);
    const input = p.values.get('--input');
    if (!input) throw new UsageError('run-local needs --input \'<json>\', e.g. --input \'{"app":"web","version":"1.4.2"}\'');
    try {
      JSON.parse(input);
    } catch (err) {
      throw new UsageError(`--input is not JSON: ${(err as Error).message}`);
    }
  }
}

/** One operating command against an account (AWS, a scenario, or a session being replayed). */
export async function operate(ops: Ops, account: Account, p: Parsed, json: boolean): Promise<Result> {
  const { command, args } = p as Parsed & { command: string };
  const wait = !p.flags.has('--no-wait');
  // The app named must be configured (a local check), before anything reaches the account.
  if (args[0] && command !== 'run-local' && command !== 'init') ops.app(account, args[0]);
  // release runs its own file checks first and calls this itself.
  if (MUTATING.has(command) && command !== 'release') await account.beforeChange?.();
  switch (command) {
    case 'status':
      return ops.status(account, args[0]);
    case 'wait':
      return ops.waitFor(account, args[0]);
    case 'init': {
      const { init } = await import('./init.js');
      const blue = p.values.get('--blue');
      const green = p.values.get('--green');
      if (!blue || !green) throw new UsageError(`usage: greenlight ${COMMANDS.init.usage}`);
      return init(account, { app: args[0], listenerArn: p.values.get('--listener'), ruleArn: p.values.get('--rule'), blue, green, configPath: p.values.get('--config') ?? 'greenlight.config.yml' });
    }
    case 'history':
      return ops.history(account, args[0], numberOption(p, '--limit') ?? 20);
    case 'release':
      return ops.release(account, args[0], args[1], { version: p.values.get('--version'), wait });
    case 'rollback':
      return ops.rollback(account, args[0], wait);
    case 'retire':
      return ops.retire(account, args[0], wait);
    case 'abort':
      return ops.abort(account, args[0], wait);
    case 'promote':
      return ops.promote(account, args[0]);
    case 'prewarm':
      return ops.prewarm(account, args[0], Number(args[1]), wait);
    case 'plan':
      return ops.plan(account, args[0], args[1]);
    case 'diff':
      return ops.diff(account, args[0], args[1]);
    case 'verify':
      return ops.verify(account, args[0]);
    default: {
      const { runLocal } = await import('./run-local.js');
      return runLocal(account, args[0], p.values.get('--input'), json);
    }
  }
}

