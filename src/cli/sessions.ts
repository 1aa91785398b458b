import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './scenarios.js';

// Simulator sessions: a named local world that persists across commands. The world itself is not
// written down (it is live objects, timers and closures): a session is its scenario and the log
// of what was done to it (each changing command with its arguments and the virtual time it
// began, `sim advance`, `sim image add`), and every command replays that log on a fresh run of
// the scenario before it acts. The simulator is deterministic, so the replay reaches the same
// world; a command that changes something is appended to the log.

export interface SessionEntry {
  /** Virtual seconds (the scenario's clock) when the command began. */
  t: number;
  argv: string[];
  /** Files the command read (a release's artifact), kept: the replay must not depend on the disk. */
  files?: Record<string, string>;
}

export interface SessionFile {
  name: string;
  /** A shipped scenario's name or the absolute path of a scenario file. */
  scenario: string;
  /** Where the scenario stops before the session begins (virtual seconds); absent: when it is quiet. */
  at?: number;
  log: SessionEntry[];
  /** The session's virtual time after its last command. */
  now: number;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function sessionDir(): string {
  return resolve(process.env.GREENLIGHT_SIM_DIR ?? join('.greenlight', 'sim'));
}

const fileOf = (name: string) => join(sessionDir(), `${name}.json`);

export function checkSessionName(name: string): string {
  if (!NAME.test(name)) throw new UsageError(`session name "${name}" is invalid: 1-40 lower-case letters, digits and '-', starting with a letter or digit`);
  return name;
}

export function sessionExists(name: string): boolean {
  return NAME.test(name) && existsSync(fileOf(name));
}

export function readSession(name: string): SessionFile {
  checkSessionName(name);
  if (!existsSync(fileOf(name))) throw new UsageError(`no simulator session "${name}": start one with greenlight sim start [scenario] --session ${name}`);
  return JSON.parse(readFileSync(fileOf(name), 'utf8')) as SessionFile;
}

export function writeSession(s: SessionFile): void {
  mkdirSync(sessionDir(), { recursive: true });
  const tmp = `${fileOf(s.name)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 1)}\n`);
  renameSync(tmp, fileOf(s.name));
}

export function removeSession(name: string): boolean {
  if (!sessionExists(name)) return false;
  rmSync(fileOf(name));
  return true;
}

export function sessionNames(): string[] {
  if (!existsSync(sessionDir())) return [];
  return readdirSync(sessionDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** "90", "90s", "5m", "1h30m": seconds. */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(text.trim());
  if (!text.trim() || !m || (m[1] === undefined && m[2] === undefined && m[3] === undefined))
    throw new UsageError(`duration "${text}" is not one: seconds (90 or 90s), minutes (5m), hours (1h), or combined (1h30m)`);
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (seconds <= 0 || seconds > 7 * 86_400) throw new UsageError(`duration "${text}" must be more than 0 and at most 7 days`);
  return seconds;
}
