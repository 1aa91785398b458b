
import { scenarioNames, UsageError } from './scenarios.js';
import { sessionExists, } from './sessions.js';

// The command line's grammar: each command, its usage and options; parsing that never takes an
// option for a value, and the checks that need nothing but the arguments.

export interface CommandSpec {
  usage: string;
  summary: string;
  details?: string;
  options?: string[];
}

const ACCOUNT_OPTIONS = [
  '--sim [session]      Act on a simulator session (greenlight sim start; alone: the session "default"), or on the',
  '                     account as a scenario leaves it (--sim <scenario>; default asg-release)',
  '--at <seconds>       With --sim: stop the scenario at this virtual time first (e.g. mid-release)',
  '--stage <stage>      The deployed stack greenlight-<stage> (default dev); or set GREENLIGHT_BUCKET, GREENLIGHT_TABLE,',
  '                     GREENLIGHT_RELEASE_STATE_MACHINE_ARN',
  '--config <file>      greenlight.config.yml (default ./greenlight.config.yml)',
  '--profile <name>     AWS: the credentials profile (else the environment\'s)',
  '--region <region>    AWS: the region (else AWS_REGION or the profile\'s); no region is a usage error',
  '--yes                AWS: no confirmation before a command that changes something (asked in a terminal)',
  '--json               One JSON document on stdout instead of text',
];

export const COMMANDS: Record<string, CommandSpec> = {
  release: {
    usage: 'release <app> <file|s3-uri> [--version V] [--no-wait]',
    summary: 'Upload an artifact (manifest or bundle) and follow the release it starts',
    details:
      'The file goes to s3://<bucket>/releases/<app>/<version>.<ext> with a SHA-256 checksum; the upload starts the\nrelease (S3 → EventBridge). The version comes from --version, the manifest\'s "version", or the file name.\nAn s3:// URI already in the artifact bucket starts {"app","version"} instead. Progress: weights and health.',
    options: ['--version <v>   the release version', '--no-wait       return after the upload'],
  },
  status: { usage: 'status [app]', summary: 'Live colour and version, traffic in percent, capacity and health per colour, the running release\'s phase, lock, executions' },
  history: { usage: 'history <app> [--limit N]', summary: 'The recorded releases of an app, newest first (default 20)' },
  rollback: {
    usage: 'rollback <app> [--no-wait]',
    summary: 'Back to the previous version: at once while its colour is warm at full size, else it is scaled up (or re-released) first',
  },
  retire: { usage: 'retire <app> [--no-wait]', summary: 'Scale the colour without traffic to zero now (ends a keep-warm window early)' },
  abort: {
    usage: 'abort <app> [--no-wait]',
    summary: 'Stop the running release, free its lock, then roll back (traffic split) or retire the unfinished colour',
  },
  init: {
    usage: 'init <app> (--listener <arn> | --rule <arn>) --blue <group|cluster/service> --green <group|cluster/service>',
    summary: "Add an app to greenlight.config.yml from resources that exist: the route, and both colours' groups or services",
    details: 'Reads the listener or rule and the two Auto Scaling groups (or ECS services, as cluster/service): their launch template,\ntarget groups and capacity; checks them as check-config does and writes apps.<app> into --config (created if need be).',
    options: ['--listener <arn>   the listener whose default action forwards to both colours', '--rule <arn>       or a listener rule that does', '--blue <name>      an Auto Scaling group, or cluster/service', '--green <name>     the same for green'],
  },
  wait: { usage: 'wait <app>', summary: 'Follow the app\'s running release until it ends; the exit code is its outcome\'s (0 released / rolled back / retired as asked, 1 not)' },
  promote: { usage: 'promote <app>', summary: 'Approve the release waiting at the app\'s approval gate: traffic moves now' },
  prewarm: {
    usage: 'prewarm <app> <capacity> [--no-wait]',
    summary: 'ECS on EC2: keep <capacity> instances joined to the idle colour\'s cluster, so the next release skips the boot',
  },
  plan: {
    usage: 'plan <app> <version>',
    summary: 'Dry run: the exact API inputs a release of <version> would send, changing nothing',
    details: 'Resolve and Plan run for real (reads only); every change the release steps would make is recorded, not sent.',
  },
  diff: {
    usage: 'diff <app> <version>',
    summary: 'What a release of <version> would change against live, as a unified diff (task definition, or launch template)',
    details: 'The same dry run as plan (nothing is changed): the live colour\'s task definition or launch template version against the one the release would register.',
  },
  verify: { usage: 'verify <app>', summary: 'OK / NG / SKIP for the configured listener or rule, target groups, groups or services, template, hooks' },
  'run-local': {
    usage: "run-local <release|capacity> --input '<json>'",
    summary: 'Run a state machine here with the real handlers, against the account of the environment (or --sim)',
    options: ['--input <json>   the execution input, e.g. \'{"app":"web","version":"1.4.2"}\''],
  },
  simulate: {
    usage: 'simulate <scenario|file.yml> [--json] [--plot out.svg]',
    summary: 'Run a scenario on the simulator in virtual time; a timeline, or a JSON summary',
    options: ['--plot <file.svg>   also draw traffic share per version, capacity per colour and failed requests over time'],
  },
  scenarios: { usage: 'scenarios', summary: 'List the shipped scenarios' },
  dashboard: {
    usage: 'dashboard [--sim [session]] [--port N]',
    summary: 'A live page on 127.0.0.1: every app\'s colours, traffic, capacity, phase and history, with promote / abort / rollback',
    details: 'Against AWS (the account of the environment, or --profile/--region) or a simulator session (--sim). Runs until interrupted.',
    options: ['--port <n>   the port on 127.0.0.1 (default 8765; 0: any free one)'],
  },
  sim: {
    usage: 'sim <start [scenario] | status | advance <duration> | image add <app> <version> | alarm <name> <state> | stop | list> [--session N] [--at T]',
    summary: 'A simulator session: a named local world that persists across commands; every --sim [session] command acts on it',
    details:
      'start keeps the scenario\'s world (its apps, versions and physics; with --at, its script too, run to that time) as the\nsession (default name "default");\nrelease, rollback, abort, promote ... --sim <session> act on it and are kept in its log; advance 90s / 5m moves its\nvirtual time; image add <app> <version> registers an AMI (or an ECS image) to release; stop forgets it.',
    options: ['--session <name>   the session (default "default")', '--at <seconds>     with start: stop the scenario there first'],
  },
  'derive-iam': { usage: 'derive-iam [--check] [--json]', summary: "Derive each function's IAM actions from the AWS calls in its bundle into deploy/function-actions.json (--check: exit 1 when that file is out of date)" },
  'check-config': { usage: 'check-config [file] [--region <region>]', summary: 'Validate greenlight.config.yml; with a region (or AWS_REGION), every ARN must be in it (run before every package/deploy)' },
  bench: {
    usage: 'bench [--json] [--quick] [--markdown]',
    summary: 'Every shipped scenario, the functions as shipped (cold init, zip size), the simulator speed and the cost by fleet size, in one run',
    options: ['--quick      leave out the packaged functions (a serverless package and 250 node starts, about a minute)', '--markdown   the tables as markdown (docs/performance.md\'s are regenerated with it)'],
  },
  'rerun-after-crash': { usage: 'rerun-after-crash [--json]', summary: 'The release dies at each state in turn and is redriven; each must finish it' },
  fuzz: { usage: 'fuzz [--json]', summary: '1,000+ generated bad inputs; every one rejected with zero mutating calls' },
  mutants: { usage: 'mutants [id,...] [--json]', summary: 'Apply each deliberate bug of mutants/mutants.yml in a copy of the tree; the fault matrix (then the flow tests) must notice it' },
  faults: { usage: 'faults [scenario[,scenario...]] [--json] [--quick] [--case <run id>]', summary: 'Every AWS call site × throttle, 5xx, AccessDenied, crash, Lambda timeout, stale read, delayed write; scenario faults; random schedules' },
  help: { usage: 'help [command]', summary: 'This text, or one command\'s' },
};

export const OPERATOR = new Set(['release', 'init', 'wait', 'diff', 'status', 'history', 'rollback', 'retire', 'abort', 'promote', 'prewarm', 'plan', 'verify', 'run-local']);

export function helpText(): string {
  // Long usages get a line of their own, so that the summaries stay in one column.
  const w = 36;
  const line = (c: CommandSpec) => (c.usage.length < w - 1 ? `  ${c.usage.padEnd(w)}${c.summary}` : `  ${c.usage}\n  ${''.padEnd(w)}${c.summary}`);
  return [
    'greenlight: blue/green releases on AWS, driven by Step Functions',
    '',
    'Usage: greenlight <command> [options]        greenlight <command> --help for details',
    '',
    'Operate (real AWS from the environment, or --sim):',
    ...Object.entries(COMMANDS)
      .filter(([n]) => OPERATOR.has(n))
      .map(([, c]) => line(c)),
    '',
    'Simulate and check:',
    ...Object.entries(COMMANDS)
      .filter(([n]) => !OPERATOR.has(n))
      .map(([, c]) => line(c)),
    '',
    'Options of the operating commands:',
    ...ACCOUNT_OPTIONS.map((o) => `  ${o}`),
    '  --verbose            Also print the Lambda handlers\' structured logs',
    '',
    'Exit codes: 0 ok / released; 1 not done (rolled back, rejected, superseded, a check NG); 2 usage error;',
    '3 AWS or unexpected error.',
    '',
  ].join('\n');
}

export function commandHelp(name: string): string {
  const c = COMMANDS[name];
  return [`greenlight ${c.usage}`, '', c.summary, ...(c.details ? ['', c.details] : []), ...(c.options ? ['', ...c.options.map((o) => `  ${o}`)] : []), ...(OPERATOR.has(name) ? ['', ...ACCOUNT_OPTIONS.map((o) => `  ${o}`)] : []), ''].join('\n');
}

const VALUE_OPTIONS = new Set(['--listener', '--rule', '--blue', '--green', '--port', '--session', '--version', '--limit', '--at', '--stage', '--config', '--input', '--plot', '--region', '--profile', '--case', '--known']);
const FLAG_OPTIONS = new Set(['--json', '--verbose', '--help', '--quick', '--no-wait', '--sim', '--check', '--markdown', '--yes']);

/** Every command takes these. */
const COMMON_OPTIONS = ['--json', '--verbose', '--help'];
/** Where an operating command acts: the simulator, or an AWS account. */
const ACCOUNT_OPTION_NAMES = ['--sim', '--at', '--stage', '--config', '--profile', '--region', '--yes'];
/** Each command's own options; anything else is a usage error (exit 2) before any AWS call. */
const COMMAND_OPTIONS: Record<string, string[]> = {
  release: ['--version', '--no-wait'],
  status: [],
  init: ['--listener', '--rule', '--blue', '--green'],
  wait: [],
  history: ['--limit'],
  rollback: ['--no-wait'],
  retire: ['--no-wait'],
  abort: ['--no-wait'],
  promote: [],
  prewarm: ['--no-wait'],
  plan: [],
  diff: [],
  verify: [],
  'run-local': ['--input'],
  simulate: ['--plot'],
  scenarios: [],
  sim: ['--session', '--at'],
  dashboard: ['--port', '--sim', '--stage', '--config', '--profile', '--region'],
  'derive-iam': ['--check'],
  'check-config': ['--region'],
  bench: ['--quick', '--markdown'],
  'rerun-after-crash': [],
  fuzz: [],
  mutants: [],
  faults: ['--quick', '--case', '--known'],
  help: [],
};

/** The commands that change something in the account they act on. */
export const MUTATING = new Set(['release', 'rollback', 'retire', 'abort', 'promote', 'prewarm', 'run-local']);

export interface Parsed {
  command: string | undefined;
  args: string[];
  flags: Set<string>;
  values: Map<string, string>;
  sim?: string;
}

export function parseArgs(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  const out: Parsed = { command, args: [], flags: new Set(), values: new Map() };
  for (let k = 0; k < rest.length; k++) {
    const [name, inline] = rest[k].startsWith('--') ? (rest[k].split(/=(.*)/s, 2) as [string, string | undefined]) : [rest[k], undefined];
    if (!name.startsWith('--')) out.args.push(name);
    else if (name === '--sim') {
      out.flags.add('--sim');
      const next = inline ?? rest[k + 1];
      // --sim takes a session, a scenario name or a file when one follows; else the default session or scenario.
      if (next !== undefined && (inline !== undefined || sessionExists(next) || scenarioNames().includes(next) || /\.ya?ml$/.test(next))) {
        out.sim = next;
        if (inline === undefined) k++;
      } else out.sim = '';
    } else if (VALUE_OPTIONS.has(name)) {
      const v = inline ?? rest[k + 1];
      // A value never is the next option (`--version --sim` is a missing version, not "--sim").
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${name} needs a value${v === undefined ? '' : ` (${v} is the next option)`}: ${name} <value> or ${name}=<value>`);
      if (inline === undefined) k++;
      if (!v.length) throw new UsageError(`${name} needs a value: ${name} <value> or ${name}=<value>`);
      out.values.set(name, v);
    } else if (FLAG_OPTIONS.has(name)) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value (got ${rest[k]})`);
      out.flags.add(name);
    } else throw new UsageError(`unknown option ${name}`);
  }
  const allowed = command && COMMAND_OPTIONS[command] ? new Set([...COMMON_OPTIONS, ...COMMAND_OPTIONS[command], ...(OPERATOR.has(command) ? ACCOUNT_OPTION_NAMES : [])]) : null;
  if (allowed)
    for (const o of [...out.flags, ...out.values.keys()])
      if (!allowed.has(o)) throw new UsageError(`${o} is not an option of ${command}: usage: greenlight ${COMMANDS[command].usage}${OPERATOR.has(command) ? ' [--sim [scenario]] [--stage S] [--config F] [--profile P] [--region R] [--yes]' : ''}`);
  return out;
}

export function need(args: string[], n: number, name: string): string[] {
  if (args.length !== n) throw new UsageError(`usage: greenlight ${COMMANDS[name].usage}`);
  return args;
}

export function numberOption(p: Parsed, name: string): number | undefined {
  const v = p.values.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a non-negative number, not "${v}"`);
  return n;
}
