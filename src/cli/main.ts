// greenlight CLI. Exit codes (every command): 0 ok / released; 1 the operation did not succeed
// (rolled back, rejected, superseded, a check NG, a scenario did not release); 2 usage error;
// 3 AWS or unexpected error (credentials, missing stack, a bug).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pushImage } from '../sim/build.js';
import type { Account } from './account.js';
import { scenarioNames, scenarioPath, UsageError } from './scenarios.js';
import { checkSessionName, parseDuration, readSession, removeSession, type SessionEntry, type SessionFile, sessionExists, sessionNames, writeSession } from './sessions.js';

interface CommandSpec {
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

const COMMANDS: Record<string, CommandSpec> = {
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

const OPERATOR = new Set(['release', 'init', 'wait', 'diff', 'status', 'history', 'rollback', 'retire', 'abort', 'promote', 'prewarm', 'plan', 'verify', 'run-local']);

function helpText(): string {
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

function commandHelp(name: string): string {
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

interface Parsed {
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

function need(args: string[], n: number, name: string): string[] {
  if (args.length !== n) throw new UsageError(`usage: greenlight ${COMMANDS[name].usage}`);
  return args;
}

function numberOption(p: Parsed, name: string): number | undefined {
  const v = p.values.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a non-negative number, not "${v}"`);
  return n;
}

type Ops = typeof import('./commands/index.js');
type Result = Awaited<ReturnType<Ops['status']>>;

/** The local checks of an operating command's arguments (before anything reaches an account). */
function checkOperatorArgs(p: Parsed): void {
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
async function operate(ops: Ops, account: Account, p: Parsed, json: boolean): Promise<Result> {
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

/** The simulator session a command names: --sim <session>, or --sim alone when a "default" session exists. */
function sessionOf(p: Parsed): string | undefined {
  if (!p.flags.has('--sim')) return undefined;
  if (p.sim && sessionExists(p.sim)) return p.sim;
  if (p.sim === '' && sessionExists('default')) return 'default';
  return undefined;
}

/** What a session's log keeps of a command: its words (no --sim, --json) and the files it read. */
function logEntry(p: Parsed, t: number): SessionEntry {
  const argv = [p.command!, ...p.args, ...[...p.flags].filter((f) => !['--sim', '--json', '--verbose', '--help'].includes(f)), ...[...p.values].map(([k, v]) => `${k}=${v}`)];
  const files: Record<string, string> = {};
  if (p.command === 'release' && p.args[1] && !p.args[1].startsWith('s3://')) {
    try {
      files[p.args[1]] = readFileSync(p.args[1]).toString('base64');
    } catch {
      // Unreadable: the command itself says so.
    }
  }
  return { t, argv, ...(Object.keys(files).length ? { files } : {}) };
}

/** Replay one logged command in the session's fresh world, its output discarded. */
async function replayEntry(ops: Ops, account: Account, entry: SessionEntry): Promise<void> {
  if (entry.argv[0] === 'sim-image') {
    simImage(account, entry.argv[1], entry.argv[2]);
    return;
  }
  if (entry.argv[0] === 'sim-alarm') {
    simAlarm(account, entry.argv[1], entry.argv[2]);
    return;
  }
  let argv = entry.argv;
  if (entry.files) {
    const dir = mkdtempSync(join(tmpdir(), 'greenlight-session-'));
    argv = argv.map((a, i) => {
      if (!entry.files?.[a]) return a;
      const f = join(dir, `${i}-${basename(a)}`);
      writeFileSync(f, Buffer.from(entry.files[a], 'base64'));
      return f;
    });
  }
  try {
    await operate(ops, account, parseArgs(argv), true);
  } catch {
    // It failed the first time too (the log keeps only what was asked; the replay reaches the same end).
  }
}

/** An alarm of the session's world changes state (as CloudWatch would), with its EventBridge event. */
function simAlarm(account: Account, alarm: string, state: string): void {
  account.session!.world.ec2.setAlarm(alarm, state as 'ALARM' | 'OK' | 'INSUFFICIENT_DATA');
}

/** A session's world gets an artifact to release: an AMI (asg, eip apps) or an image in the registry (ecs). */
function simImage(account: Account, appName: string, version: string): { app: string; version: string; imageId?: string; image?: string } {
  const session = account.session!;
  const app = session.scenario.apps.find((a) => a.name === appName);
  if (!app) throw new UsageError(`no app "${appName}" in this session: ${session.scenario.apps.map((a) => a.name).join(', ')}`);
  if (app.kind === 'ecs') return { app: appName, version, image: pushImage(session.world, appName, version) };
  if (app.kind === 'asg' && app.artifact === 'bundle') throw new UsageError(`${appName} releases bundles: give greenlight release a .tar.gz; no image is needed`);
  return { app: appName, version, imageId: session.world.registerImage(version, `${appName}-${version}`).imageId };
}

/** Run `act` in a simulator session: its log replayed first; `entryOf` says what to append to it (the time the command began). */
async function inSession<T>(ops: Ops, name: string, entryOf: (t: number) => SessionEntry | undefined, act: (a: Account) => Promise<T>): Promise<T> {
  const { withAccount } = await import('./account.js');
  const file = readSession(name);
  const replay = { session: file, apply: (a: Account, e: SessionEntry) => replayEntry(ops, a, e) };
  return withAccount({ stage: 'dev', configPath: 'unused', replay }, async (account) => {
    const t = account.session!.clock.now;
    const r = await act(account);
    const entry = entryOf(t);
    if (entry) file.log.push(entry);
    file.now = account.session!.clock.now;
    writeSession(file);
    return r;
  });
}

/** greenlight sim <start|status|advance|image add|stop|list>: simulator sessions (src/cli/sessions.ts). */
async function runSim(p: Parsed, json: boolean): Promise<number> {
  const [sub, ...rest] = p.args;
  const name = checkSessionName(p.values.get('--session') ?? 'default');
  const ops = await import('./commands/index.js');
  const out = (r: Result, header: string) => {
    process.stdout.write(json ? `${JSON.stringify({ session: name, ...(r.json as object) })}\n` : `${header}\n${r.text}`);
    return r.code;
  };
  const usage = () => new UsageError(`usage: greenlight ${COMMANDS.sim.usage}`);
  switch (sub) {
    case 'start': {
      if (rest.length > 1) throw usage();
      const scenario = rest[0] ?? 'asg-release';
      const path = scenarioPath(scenario);
      if (sessionExists(name)) throw new UsageError(`session "${name}" exists: greenlight sim stop --session ${name} first, or name another with --session`);
      const at = numberOption(p, '--at');
      const { withAccount } = await import('./account.js');
      const file: SessionFile = { name, scenario: scenarioNames().includes(scenario) ? scenario : path, ...(at !== undefined ? { at } : {}), log: [], now: 0 };
      // The scenario's world; with --at, its script too, up to that time (e.g. mid-canary).
      const r = await withAccount({ stage: 'dev', configPath: 'unused', replay: { session: file, apply: async () => {} } }, async (account) => {
        file.now = account.session!.clock.now;
        return ops.status(account);
      });
      writeSession(file);
      return out(r, `session ${name}: scenario ${scenario} at t=${Math.round(file.now)} s; every command with --sim${name === 'default' ? '' : ` ${name}`} acts on it`);
    }
    case 'status':
    case 'advance': {
      if (sub === 'status' ? rest.length : rest.length !== 1) throw usage();
      const seconds = sub === 'advance' ? parseDuration(rest[0]) : 0;
      const file = readSession(name);
      const r = await inSession(ops, name, () => undefined, async (account) => {
        if (seconds) await account.sleep(seconds);
        return ops.status(account);
      });
      const now = readSession(name).now;
      return out(r, `session ${name}: scenario ${file.scenario}, t=${Math.round(now)} s, ${file.log.length} command(s) so far`);
    }
    case 'image': {
      if (rest[0] !== 'add' || rest.length !== 3) throw usage();
      const [, app, version] = rest;
      let added: ReturnType<typeof simImage> | undefined;
      const r = await inSession(ops, name, (t) => ({ t, argv: ['sim-image', app, version] }), async (account) => {
        added = simImage(account, app, version);
        const what = added.imageId ? `AMI ${added.imageId}` : `image ${added.image}`;
        const spec = account.session!.scenario.apps.find((a) => a.name === app);
        const container = spec?.kind === 'ecs' ? spec.containers[0] : app;
        const manifest = added.imageId ? { version, imageId: added.imageId } : { version, images: { [container]: added.image } };
        return { code: 0 as const, text: `${what} of ${app} ${version} registered; a manifest for it:\n${JSON.stringify(manifest)}\n`, json: { ...added, manifest } };
      });
      return out(r, `session ${name}:`);
    }
    case 'alarm': {
      if (rest.length !== 2 || !['ALARM', 'OK', 'INSUFFICIENT_DATA'].includes(rest[1])) throw new UsageError(`usage: greenlight sim alarm <name> <ALARM|OK|INSUFFICIENT_DATA> [--session N]`);
      const [alarm, state] = rest;
      const r = await inSession(ops, name, (t) => ({ t, argv: ['sim-alarm', alarm, state] }), async (account) => {
        simAlarm(account, alarm, state);
        // Let the alarm's event reach its targets (the guard) before the session's time is kept.
        await account.sleep(5);
        return ops.status(account);
      });
      return out(r, `session ${name}: alarm ${alarm} → ${state}`);
    }
    case 'stop': {
      if (rest.length) throw usage();
      const gone = removeSession(name);
      process.stdout.write(json ? `${JSON.stringify({ session: name, stopped: gone })}\n` : gone ? `session ${name} stopped\n` : `no session ${name}\n`);
      return gone ? 0 : 1;
    }
    case 'list': {
      const all = sessionNames().map((n) => readSession(n));
      process.stdout.write(json ? `${JSON.stringify({ sessions: all.map((f) => ({ name: f.name, scenario: f.scenario, now: f.now, commands: f.log.length })) })}\n` : all.map((f) => `${f.name.padEnd(16)} ${f.scenario}  t=${Math.round(f.now)} s, ${f.log.length} command(s)\n`).join('') || 'no sessions\n');
      return 0;
    }
    default:
      throw usage();
  }
}

/** greenlight dashboard: serves the page until interrupted (src/cli/dashboard.ts). */
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

async function main(argv: string[]): Promise<number> {
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    if (err instanceof UsageError) {
      process.stderr.write(`greenlight: ${err.message}\n`);
      process.exit(2);
    }
    // The operator answered no: nothing was done, as asked.
    if (err.name === 'NotConfirmed') {
      process.stderr.write(`greenlight: ${err.message}\n`);
      process.exit(1);
    }
    // AWS and configuration errors carry their own clear message; anything else is a bug.
    const known = ['AwsAccessDenied', 'AwsResourceNotFound', 'AwsRequestRejected', 'Throttled', 'TransientAwsError', 'InvalidInput', 'CredentialsProviderError'].includes(err.name);
    process.stderr.write(`greenlight: ${known ? `${err.name}: ${err.message}` : (err.stack ?? err)}\n`);
    process.exit(3);
  },
);
