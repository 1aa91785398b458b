// greenlight CLI. Exit codes: 0 success, 1 the release did not end "released" (or a check
// failed), 2 usage error, 3 unexpected error.

import { scenarioPath, UsageError } from './scenarios.js';

const HELP = `greenlight: blue/green releases on AWS, driven by Step Functions

Usage: greenlight <command> [options]

Commands:
  simulate <scenario|file.yml> [--json]   Run a release scenario against the built-in AWS
                                          simulator in virtual time. Prints a timeline, or with
                                          --json one JSON summary as the last line.
  scenarios                               List the shipped scenarios.
  check-config [file]                     Validate greenlight.config.yml (or file); run before
                                          every package/deploy.
  bench [--json]                          Run every shipped scenario and print the figures.
  rerun-after-crash [--json]              The release dies at each state in turn and is redriven
                                          (Step Functions redrive); each must finish it.
  fuzz [--json]                           1,000+ generated bad inputs through Resolve and Plan;
                                          every one must be rejected with zero mutating calls.
  faults [scenario] [--json] [--quick]    The fault matrix: every AWS call site × throttle, 5xx,
                                          AccessDenied, Lambda crash, stale read; then seeded
                                          random schedules. Prints "N scenarios, N consistent".
  help                                    This text.

Options:
  --verbose   Also print the Lambda handlers' structured logs.

Exit codes: 0 released / ok, 1 the scenario did not release (rolled back, rejected, failed),
2 usage error, 3 unexpected error.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const args = rest.filter((a) => !a.startsWith('--'));
  for (const f of flags) if (!['--json', '--verbose', '--help', '--quick'].includes(f)) throw new UsageError(`unknown option ${f}`);
  if (!flags.has('--verbose')) process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  if (!command || command === 'help' || command === '--help' || flags.has('--help')) {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'simulate': {
      if (args.length !== 1) throw new UsageError('usage: greenlight simulate <scenario|file.yml> [--json]');
      const { runSimulateCommand } = await import('./simulate.js');
      return runSimulateCommand(scenarioPath(args[0]), flags.has('--json'));
    }
    case 'scenarios': {
      const { listScenarios } = await import('./simulate.js');
      return listScenarios();
    }
    case 'check-config': {
      const { checkConfig } = await import('./check-config.js');
      return checkConfig(args[0] ?? 'greenlight.config.yml');
    }
    case 'rerun-after-crash': {
      const { runRerunAfterCrash } = await import('./rerun.js');
      return runRerunAfterCrash(flags.has('--json'));
    }
    case 'fuzz': {
      const { runFuzz } = await import('./fuzz.js');
      return runFuzz(flags.has('--json'));
    }
    case 'faults': {
      const { runFaults } = await import('./faults.js');
      return runFaults(flags.has('--json'), flags.has('--quick'), args[0]);
    }
    case 'bench': {
      const { runBench } = await import('./bench.js');
      return runBench(flags.has('--json'));
    }
    default:
      throw new UsageError(`unknown command "${command}"; run greenlight help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    if (err instanceof UsageError) {
      process.stderr.write(`greenlight: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`greenlight: ${err.stack ?? err}\n`);
    process.exit(3);
  },
);
