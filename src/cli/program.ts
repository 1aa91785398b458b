// The command line as a function: main(argv) → exit code, writing to stdout/stderr; failure(err)
// maps a thrown error to its exit code. bin/greenlight runs it through main.ts; tests call it in process.

import type { Account } from './account.js';
import { inSession, logEntry, runSim, sessionOf } from './commands/sim.js';
import { checkOperatorArgs, operate } from './operate.js';
import { COMMANDS, commandHelp, helpText, MUTATING, need, numberOption, OPERATOR, type Parsed, parseArgs } from './parse.js';
import { scenarioPath, UsageError } from './scenarios.js';

async function runDashboard(p: Parsed): Promise<number> {
  if (p.args.length) throw new UsageError(`usage: greenlight ${COMMANDS.dashboard.usage}`);
  const port = numberOption(p, '--port') ?? 8765;
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port must be a port number (0-65535), not "${p.values.get('--port')}"`);
  const ops = await import('./commands/index.js');
  const { withAccount } = await import('./account.js');
  const { startDashboard } = await import('./dashboard.js');
  const session = sessionOf(p);
  if (p.flags.has('--sim') && !session) throw new UsageError(`the dashboard acts on a simulator session: greenlight sim start [scenario] first${p.sim ? ` (no session "${p.sim}")` : ''}`);
  if (session) for (const o of ['--profile', '--region', '--stage']) if (p.values.has(o)) throw new UsageError(`${o} is for an AWS account, not --sim`);
  const opts = { stage: p.values.get('--stage') ?? 'dev', configPath: p.values.get('--config') ?? 'greenlight.config.yml', profile: p.values.get('--profile'), region: p.values.get('--region'), yes: true, mutating: 'a dashboard button' };
  const target = session
    ? {
        label: `simulator session ${session}`,
        sim: true,
        withTarget: <T>(fn: (a: Account) => Promise<T>, change?: string[]) => inSession(ops, session, (t) => (change ? { t, argv: change } : undefined), fn),
      }
    : { label: `AWS, stack greenlight-${opts.stage}`, sim: false, withTarget: <T>(fn: (a: Account) => Promise<T>) => withAccount(opts, fn) };
  const d = await startDashboard(ops, target, port);
  process.stdout.write(`dashboard: ${d.url} (${target.label}); Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await d.close();
  return 0;
}

/** Long: the command dispatch: one short branch per command group (operate, simulate, sim, bench, ...). */
export async function main(argv: string[]): Promise<number> {
  const p = parseArgs(argv);
  const { command, args, flags } = p;
  if (!flags.has('--verbose')) process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  if (!command || command === '--help') {
    process.stdout.write(helpText());
    return command ? 0 : 2;
  }
  if (command === 'help') {
    process.stdout.write(args[0] && COMMANDS[args[0]] ? commandHelp(args[0]) : helpText());
    return 0;
  }
  if (!COMMANDS[command]) throw new UsageError(`unknown command "${command}"; run greenlight --help`);
  if (flags.has('--help')) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const json = flags.has('--json');
  if (OPERATOR.has(command)) {
    const { withAccount } = await import('./account.js');
    const ops = await import('./commands/index.js');
    const opts = {
      sim: flags.has('--sim') ? p.sim : undefined,
      at: numberOption(p, '--at'),
      stage: p.values.get('--stage') ?? 'dev',
      configPath: p.values.get('--config') ?? 'greenlight.config.yml',
      profile: p.values.get('--profile'),
      region: p.values.get('--region'),
      yes: flags.has('--yes'),
      configMayBeMissing: command === 'init',
      // What the command changes, shown (and in a terminal confirmed) before it acts on AWS.
      mutating: MUTATING.has(command) ? `${command} ${args.join(' ')}`.trim() : undefined,
    };
    if (opts.at !== undefined && opts.sim === undefined) throw new UsageError('--at is for --sim');
    if (opts.sim !== undefined) for (const o of ['--profile', '--region', '--stage', '--yes']) if (flags.has(o) || p.values.has(o)) throw new UsageError(`${o} is for an AWS account, not --sim`);
    // Arguments are checked before anything talks to an account.
    checkOperatorArgs(p);
    const session = sessionOf(p);
    if (session && opts.at !== undefined) throw new UsageError('--at is for a scenario, not a simulator session (greenlight sim advance <duration> moves its time)');
    const act = (account: Account) => {
      // A terminal sees a followed execution's lines as they happen; --json gets one document.
      if (!json) account.live = (text) => process.stdout.write(text);
      return operate(ops, account, p, json);
    };
    const result = session
      ? await inSession(ops, session, (t) => (MUTATING.has(p.command!) ? logEntry(p, t) : undefined), act)
      : await withAccount(opts, act);
    process.stdout.write(json ? `${JSON.stringify(result.json)}\n` : result.text);
    return result.code;
  }
  switch (command) {
    case 'simulate': {
      need(args, 1, command);
      const { runSimulateCommand } = await import('./simulate.js');
      return runSimulateCommand(scenarioPath(args[0]), json, p.values.get('--plot'));
    }
    case 'sim':
      return runSim(p, json);
    case 'dashboard':
      return runDashboard(p);
    case 'scenarios': {
      const { listScenarios } = await import('./simulate.js');
      return listScenarios(json);
    }
    case 'derive-iam': {
      const { runDeriveIam } = await import('./derive-iam.js');
      return runDeriveIam(flags.has('--check'), json);
    }
    case 'check-config': {
      const { checkConfig } = await import('./check-config.js');
      return checkConfig(args[0] ?? 'greenlight.config.yml', p.values.get('--region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION, json);
    }
    case 'rerun-after-crash': {
      const { runRerunAfterCrash } = await import('./rerun.js');
      return runRerunAfterCrash(json);
    }
    case 'fuzz': {
      const { runFuzz } = await import('./fuzz.js');
      return runFuzz(json);
    }
    case 'faults': {
      const { runFaults } = await import('./faults.js');
      return runFaults(json, flags.has('--quick'), args[0], p.values.get('--case'), p.values.get('--known'));
    }
    case 'mutants': {
      const { runMutants } = await import('./mutants.js');
      return runMutants(json, args[0]?.split(','));
    }
    default: {
      const { runBench } = await import('./bench.js');
      return runBench(json, flags.has('--quick'), flags.has('--markdown'));
    }
  }
}

/** The exit code and the message for an error a command threw (2 usage, 1 not done, 3 AWS or unexpected). */
export function failure(err: Error): { code: number; message: string } {
  if (err instanceof UsageError) return { code: 2, message: `greenlight: ${err.message}\n` };
  // The operator answered no: nothing was done, as asked.
  if (err.name === 'NotConfirmed') return { code: 1, message: `greenlight: ${err.message}\n` };
  // AWS and configuration errors carry their own clear message; anything else is a bug.
  const known = ['AwsAccessDenied', 'AwsResourceNotFound', 'AwsRequestRejected', 'Throttled', 'TransientAwsError', 'InvalidInput', 'CredentialsProviderError'].includes(err.name);
  return { code: 3, message: `greenlight: ${known ? `${err.name}: ${err.message}` : (err.stack ?? err)}\n` };
}
