import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../local/definitions.js';
import { zipEntries } from '../local/zip.js';

// Per function, as shipped: `serverless package` builds the zips (the same command as
// `npm run package`), and each handler is imported in a fresh Node process. A handler builds
// its clients and config on first use, so importing it is its whole init.

export interface FunctionFigure {
  /** Import + init in a fresh process ÷ a bare `node -e 0`, medians of `runs`, measured interleaved. */
  coldInitRatio: number;
  coldInitMs: number;
  zipKB: number;
}

export interface FunctionFigures {
  bareNodeMs: number;
  runs: number;
  functions: Record<string, FunctionFigure>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function wallMs(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ').slice(0, 200)} failed: ${r.stderr.slice(0, 800)}`);
  return ms;
}

/** `serverless package` into `pkg` (as `npm run package` runs it), offline; `configFile`: another greenlight config. */
function serverlessPackage(pkg: string, tmp: string, configFile?: string): void {
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'dev', '--region', 'us-east-1', '--package', pkg], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: tmp, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'greenlight-offline-none', ...(configFile ? { GREENLIGHT_CONFIG_FILE: configFile } : {}) },
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`serverless package failed: ${(r.stdout + r.stderr).slice(-1500)}`);
}

/**
 * The packaged CloudFormation template of a config document: its resource count (CloudFormation
 * allows 500) and size in bytes (1 MB from S3, as serverless deploys it).
 */
export function packagedTemplate(doc: unknown): { resources: number; bytes: number } {
  const work = mkdtempSync(join(tmpdir(), 'greenlight-bench-template-'));
  try {
    const tmp = join(work, 'tmp');
    mkdirSync(tmp);
    const file = join(work, 'greenlight.config.yml');
    writeFileSync(file, JSON.stringify(doc)); // JSON is YAML
    serverlessPackage(join(work, 'package'), tmp, file);
    const text = readFileSync(join(work, 'package', 'cloudformation-template-update-stack.json'), 'utf8');
    return { resources: Object.keys((JSON.parse(text) as { Resources: object }).Resources).length, bytes: Buffer.byteLength(JSON.stringify(JSON.parse(text))) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function packagedFunctions(runs = 10): FunctionFigures {
  const work = mkdtempSync(join(tmpdir(), 'greenlight-bench-'));
  try {
    const pkg = join(work, 'package');
    // serverless-esbuild leaves its zip staging directories in TMPDIR: give it one that goes.
    const tmp = join(work, 'tmp');
    mkdirSync(tmp);
    serverlessPackage(pkg, tmp);
    const zips = readdirSync(pkg).filter((f) => f.endsWith('.zip')).sort();
    const handlers = zips.map((zip) => {
      const name = zip.replace(/\.zip$/, '');
      const file = join(work, `${name}.mjs`);
      writeFileSync(file, zipEntries(join(pkg, zip)).get(`functions/${name}.mjs`)!);
      return { name, file, zipKB: Math.round((statSync(join(pkg, zip)).size / 1024) * 10) / 10 };
    });
    const bare: number[] = [];
    const times = new Map<string, number[]>(handlers.map((h) => [h.name, []]));
    // Interleaved, so that a slow moment of the machine weighs on every figure alike.
    for (let i = 0; i < runs; i++) {
      bare.push(wallMs(['-e', '0']));
      for (const h of handlers) times.get(h.name)!.push(wallMs(['--input-type=module', '-e', `await import(${JSON.stringify(h.file)})`]));
    }
    const bareNodeMs = median(bare);
    const functions: Record<string, FunctionFigure> = {};
    for (const h of handlers) {
      const ms = median(times.get(h.name)!);
      functions[h.name] = { coldInitRatio: Math.round((ms / bareNodeMs) * 100) / 100, coldInitMs: Math.round(ms), zipKB: h.zipKB };
    }
    return { bareNodeMs: Math.round(bareNodeMs), runs, functions };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
