import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from '../src/local/definitions.js';

// The README's runnable code blocks (```sh runnable) are run as a newcomer would, in a fresh
// directory, one line at a time; a `# expect: <regex>` line checks the output of the command
// before it. Every relative link in the README and docs/ must lead to a file that exists.

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface Step {
  command: string;
  expects: RegExp[];
}

function runnableSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const block of markdown.matchAll(/^```sh runnable\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1].split('\n')) {
      const expectation = /^# expect: (.+)$/.exec(line);
      if (expectation) {
        if (!steps.length) throw new Error(`"${line}" follows no command`);
        steps[steps.length - 1].expects.push(new RegExp(expectation[1], 'm'));
      } else if (line.trim() && !line.trim().startsWith('#')) steps.push({ command: line, expects: [] });
    }
  }
  return steps;
}

describe('README', () => {
  it('is at most 300 lines, and every relative link in it and in docs/ leads to a file', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    const files = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).map((f) => join(ROOT, 'docs', f))];
    const broken: string[] = [];
    for (const f of files)
      for (const m of readFileSync(f, 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g))
        if (!/^https?:/.test(m[1]) && !existsSync(resolve(dirname(f), m[1]))) broken.push(`${f.slice(ROOT.length + 1)} → ${m[1]}`);
    expect(broken).toEqual([]);
  });

  it('reads its runnable blocks: commands and what their output must show', () => {
    const steps = runnableSteps('```sh runnable\n./a\n# expect: ok$\n# a comment\n./b\n```\n');
    expect(steps).toEqual([
      { command: './a', expects: [/ok$/m] },
      { command: './b', expects: [] },
    ]);
    expect(runnableSteps(readme).length).toBeGreaterThanOrEqual(10);
  });

  it('runs the simulator-session walk-through as written, and each command shows what the README says', () => {
    const dir = mkdtempSync(join(tmpdir(), 'greenlight-readme-'));
    // A newcomer's checkout: ./bin is the repository's.
    symlinkSync(join(ROOT, 'bin'), join(dir, 'bin'));
    mkdirSync(join(dir, 'sessions'));
    const env = { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', GREENLIGHT_SIM_DIR: join(dir, 'sessions') };
    for (const step of runnableSteps(readme)) {
      const r = spawnSync('bash', ['-o', 'pipefail', '-c', step.command], { cwd: dir, encoding: 'utf8', env, timeout: 120_000 });
      expect({ command: step.command, code: r.status, stderr: r.status ? r.stderr : '' }).toEqual({ command: step.command, code: 0, stderr: '' });
      for (const e of step.expects) expect({ command: step.command, matches: e.test(r.stdout), out: e.test(r.stdout) ? '' : r.stdout }).toEqual({ command: step.command, matches: true, out: '' });
    }
  }, 300_000);
});
