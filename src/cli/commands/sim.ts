import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pushImage } from '../../sim/build.js';
import type { Account } from '../account.js';
import { type Ops, operate, type Result } from '../operate.js';
import { COMMANDS, numberOption, type Parsed, parseArgs } from '../parse.js';
import { scenarioNames, scenarioPath, UsageError } from '../scenarios.js';
import { checkSessionName, parseDuration, readSession, removeSession, type SessionEntry, type SessionFile, sessionExists, sessionNames, writeSession } from '../sessions.js';

// `greenlight sim <start|status|advance|image add|alarm|stop|list>`: simulator sessions, a named
// local world kept as a log of commands (src/cli/sessions.ts) and replayed before each command.

export function sessionOf(p: Parsed): string | undefined {
  if (!p.flags.has('--sim')) return undefined;
  if (p.sim && sessionExists(p.sim)) return p.sim;
  if (p.sim === '' && sessionExists('default')) return 'default';
  return undefined;
}

/** What a session's log keeps of a command: its words (no --sim, --json) and the files it read. */
export function logEntry(p: Parsed, t: number): SessionEntry {
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
export async function inSession<T>(ops: Ops, name: string, entryOf: (t: number) => SessionEntry | undefined, act: (a: Account) => Promise<T>): Promise<T> {
  const { withAccount } = await import('../account.js');
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
export async function runSim(p: Parsed, json: boolean): Promise<number> {
  const [sub, ...rest] = p.args;
  const name = checkSessionName(p.values.get('--session') ?? 'default');
  const ops = await import('./index.js');
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
      const { withAccount } = await import('../account.js');
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

