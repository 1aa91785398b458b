#!/usr/bin/env node
// Runs every shipped scenario on two versions of greenlight and compares their summaries
// (outcome, reason, figures, invariants): a refactoring must leave every one identical.
//
//   node bin/compare-scenarios.mjs <base> [<head>]      (head defaults to the working tree)
//
// Each commit is checked out in a temporary git worktree that shares this checkout's
// node_modules; `greenlight simulate <scenario> --json` runs there, two at a time. Exit 0 when
// every summary is identical, 1 when any differs (each difference is printed), 2 on bad usage.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [base, head = '.'] = process.argv.slice(2);
if (!base || process.argv.length > 4) {
  process.stderr.write('usage: node bin/compare-scenarios.mjs <base-commit> [<head-commit>|.]\n');
  process.exit(2);
}

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();

/** A checkout of `ref` (`.`: this working tree as it is). */
function checkout(ref) {
  if (ref === '.') return { dir: root, label: 'working tree', done: () => {} };
  const sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(mkdtempSync(join(tmpdir(), 'greenlight-compare-')), sha.slice(0, 12));
  git('worktree', 'add', '--detach', '--quiet', dir, sha);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return { dir, label: `${ref} (${sha.slice(0, 12)})`, done: () => git('worktree', 'remove', '--force', dir) };
}

function simulate(dir, scenario) {
  return new Promise((resolve) => {
    const p = spawn(join(dir, 'bin', 'greenlight'), ['simulate', scenario, '--json'], { cwd: dir, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      try {
        resolve({ code, summary: JSON.parse(out) });
      } catch {
        resolve({ code, summary: null, error: err.trim().split('\n').slice(0, 3).join(' | ') });
      }
    });
  });
}

async function runAll(dir, names) {
  const results = new Map();
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      results.set(name, await simulate(dir, name));
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

/** Paths where two JSON values differ. */
function differences(a, b, path = '') {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b))
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => differences(a[k], b[k], path ? `${path}.${k}` : k));
  return [`${path || '(summary)'}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}

const sides = [checkout(base), checkout(head)];
try {
  // The scenarios both versions ship (a scenario added or removed is reported, not compared).
  const names = sides.map((s) => readdirSync(join(s.dir, 'scenarios')).filter((f) => f.endsWith('.yml')).map((f) => f.replace(/\.yml$/, '')).sort());
  const common = names[0].filter((n) => names[1].includes(n));
  for (const [k, list] of names.entries()) for (const n of list.filter((x) => !common.includes(x))) process.stdout.write(`only in ${sides[k].label}: ${n}\n`);
  const started = Date.now();
  const [a, b] = [await runAll(sides[0].dir, common), await runAll(sides[1].dir, common)];
  let differing = 0;
  for (const n of common) {
    const ra = a.get(n);
    const rb = b.get(n);
    const diff = [...(ra.code !== rb.code ? [`exit code: ${ra.code} → ${rb.code}`] : []), ...differences(ra.summary ?? ra.error, rb.summary ?? rb.error)];
    if (!ra.summary || !rb.summary) diff.push(`no summary: ${ra.error ?? ''} ${rb.error ?? ''}`.trim());
    if (diff.length) {
      differing++;
      process.stdout.write(`DIFFERS ${n}\n${diff.map((d) => `  ${d}\n`).join('')}`);
    }
  }
  process.stdout.write(`${common.length - differing} of ${common.length} scenarios identical between ${sides[0].label} and ${sides[1].label} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  process.exitCode = differing ? 1 : 0;
} finally {
  for (const s of sides) s.done();
}
