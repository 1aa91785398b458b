import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ROOT } from '../local/definitions.js';
import { failureKeys } from './faults.js';

// Mutation testing with a named set of deliberate bugs (mutants/mutants.yml), applied one at a
// time to a copy of the tree. A mutant is killed by the fault matrix when the matrix over its
// bases reports a failure that the clean tree does not, or cannot run; else by the flow tests
// when one of them fails. StrykerJS generates mutants by the thousand, which on two cores with
// these flow tests takes about an hour per file (measured: see docs/reliability.md); the named
// set is what the issue asks for and runs in minutes.

const Mutant = z.strictObject({
  id: z.string(),
  path: z.string(),
  file: z.string(),
  find: z.string().min(1),
  replace: z.string(),
  bases: z.array(z.string()).min(1),
});
type Mutant = z.infer<typeof Mutant>;

const COPY = ['src', 'functions', 'statemachines', 'scenarios', 'deploy', 'test', 'bin', 'serverless.yml', 'package.json', 'tsconfig.json', 'jest.config.js', 'greenlight.config.yml'];

export function loadMutants(): Mutant[] {
  return z.array(Mutant).parse(parse(readFileSync(join(ROOT, 'mutants', 'mutants.yml'), 'utf8')));
}

interface MatrixRun {
  ok: boolean;
  failures: Set<string>;
  fired: number;
  error?: string;
}

function matrix(dir: string, bases: string[], known?: Set<string>): MatrixRun {
  // A mutant's run stops at its first failure the clean tree does not have: one is a kill.
  const knownFile = known ? join(dir, 'known-failures.json') : undefined;
  if (knownFile) writeFileSync(knownFile, JSON.stringify([...known!]));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'faults', bases.join(','), '--json', ...(knownFile ? ['--known', knownFile] : [])], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { fired: number; failures: { seed: string; reasons: string[] }[] };
    // A failure is its run and the invariants it broke: a mutant that breaks another one in a run
    // that already failed is caught too.
    return { ok: true, failures: new Set(j.failures.flatMap(failureKeys)), fired: j.fired };
  } catch {
    return { ok: false, failures: new Set(), fired: 0, error: (r.stderr || r.stdout).slice(-400) };
  }
}

function flowTests(dir: string): { failed: boolean; detail: string } {
  const r = spawnSync(join(dir, 'node_modules', '.bin', 'jest'), ['test/flows', '--silent'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  const failed = /^\s*✕/m.exec(r.stderr)?.[0]?.trim() ?? '';
  return { failed: r.status !== 0, detail: failed };
}

function copyTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'greenlight-mutant-'));
  for (const f of COPY) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export interface MutantResult {
  id: string;
  path: string;
  killedBy: 'matrix' | 'tests' | null;
  detail: string;
}

export async function mutationRun(opts: { only?: string[]; tests?: boolean; progress?: (s: string) => void } = {}) {
  const { progress = () => {} } = opts;
  const mutants = loadMutants().filter((m) => !opts.only || opts.only.includes(m.id));
  // Every mutant must apply before anything runs (a stale text would waste the whole run).
  for (const m of mutants) {
    const text = readFileSync(join(ROOT, m.file), 'utf8');
    const at = text.indexOf(m.find);
    if (at < 0 || text.indexOf(m.find, at + 1) >= 0) throw new Error(`mutant ${m.id}: its text must occur exactly once in ${m.file}`);
  }
  const results: MutantResult[] = [];
  // What the clean tree's matrix reports over each set of bases (known defects are not kills).
  const clean = new Map<string, MatrixRun>();
  const cleanDir = copyTree();
  try {
    for (const m of mutants) {
      const key = m.bases.join(',');
      if (!clean.has(key)) clean.set(key, matrix(cleanDir, m.bases));
    }
  } finally {
    rmSync(cleanDir, { recursive: true, force: true });
  }
  for (const m of mutants) {
    const dir = copyTree();
    try {
      const path = join(dir, m.file);
      const text = readFileSync(path, 'utf8');
      const at = text.indexOf(m.find);
      if (at < 0 || text.indexOf(m.find, at + 1) >= 0) throw new Error(`mutant ${m.id}: its text must occur exactly once in ${m.file}`);
      writeFileSync(path, text.slice(0, at) + m.replace + text.slice(at + m.find.length));
      const base = clean.get(m.bases.join(','))!;
      const run = matrix(dir, m.bases, base.failures);
      const fresh = [...run.failures].filter((f) => !base.failures.has(f));
      if (!run.ok) results.push({ id: m.id, path: m.path, killedBy: 'matrix', detail: `the matrix could not run: ${run.error}` });
      else if (fresh.length) results.push({ id: m.id, path: m.path, killedBy: 'matrix', detail: `${fresh.length} new failures, e.g. ${fresh[0]}` });
      else if (opts.tests === false) results.push({ id: m.id, path: m.path, killedBy: null, detail: 'the matrix saw nothing new' });
      else {
        const t = flowTests(dir);
        results.push({ id: m.id, path: m.path, killedBy: t.failed ? 'tests' : null, detail: t.failed ? `flow test failed: ${t.detail}` : 'survived the matrix and the flow tests' });
      }
      const last = results[results.length - 1];
      progress(last.killedBy ? 'K' : 'S');
      process.stderr.write(`${last.id}: ${last.killedBy ? `killed by ${last.killedBy}` : 'SURVIVED'} (${last.detail})\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const killed = results.filter((r) => r.killedBy).length;
  return {
    mutants: results.length,
    killed,
    killedByMatrix: results.filter((r) => r.killedBy === 'matrix').length,
    survived: results.filter((r) => !r.killedBy).map((r) => r.id),
    score: results.length ? Math.round((killed / results.length) * 1000) / 10 : 0,
    results,
  };
}

export async function runMutants(json: boolean, only?: string[]): Promise<number> {
  const r = await mutationRun({ only, progress: json ? undefined : (s) => process.stdout.write(s) });
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    process.stdout.write(`\n${r.mutants} mutants, ${r.killed} killed (${r.killedByMatrix} by the fault matrix), score ${r.score}%\n`);
    for (const x of r.results) process.stdout.write(`  ${x.killedBy ? `killed by ${x.killedBy}`.padEnd(18) : 'SURVIVED'.padEnd(18)} ${x.id.padEnd(32)} ${x.detail}\n`);
  }
  return r.survived.length === 0 ? 0 : 1;
}
