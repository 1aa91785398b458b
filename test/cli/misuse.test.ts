import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { confirm } from '../../src/cli/account.js';
import { ROOT } from '../../src/local/definitions.js';

// Misuse of the CLI against a real-AWS target: every case exits 2, naming the field and the
// fix, before any AWS call. The calls are counted where they would leave the machine: the SDK
// is pointed (AWS_ENDPOINT_URL) at a local HTTP server that counts every request it receives.
// Control cases show the count is not blind: a well-formed command does reach it.

let server: Server;
let requests: string[] = [];
let endpoint = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.headers['x-amz-target'] ?? req.url}`);
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"__type":"InternalFailure","message":"counting server"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const dir = mkdtempSync(join(tmpdir(), 'greenlight-misuse-'));
writeFileSync(join(dir, 'ami.json'), '{"version":"9.9.9","imageId":"ami-0123456789abcdef0"}');
writeFileSync(join(dir, 'bad.json'), '{"version":"2.0.0","image":"ami-1"}');
writeFileSync(join(dir, 'app.tar.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff]));

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; err: string; calls: string[] }> {
  requests = [];
  const base: Record<string, string | undefined> = {
    ...process.env,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_REGION: 'us-east-1',
    AWS_MAX_ATTEMPTS: '1',
    GREENLIGHT_BUCKET: 'greenlight-artifacts',
    GREENLIGHT_TABLE: 'greenlight',
    GREENLIGHT_RELEASE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:greenlight-release',
    ...env,
  };
  for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
  return new Promise((resolve) => {
    const p = spawn(join(ROOT, 'bin', 'greenlight'), args, { cwd: ROOT, env: base as NodeJS.ProcessEnv });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.stdout.resume();
    p.on('close', (code) => resolve({ code, err, calls: [...requests] }));
  });
}

const f = (name: string) => join(dir, name);
const NO_REGION = { AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: 'greenlight-misuse-none', AWS_CONFIG_FILE: f('none'), AWS_SHARED_CREDENTIALS_FILE: f('none') };

// [arguments, extra environment, what stderr must say]
const MISUSES: [string[], Record<string, string | undefined>, RegExp][] = [
  // The case the walk-through found: --sim taken as the version, and the release sent to AWS.
  [['release', 'web', f('ami.json'), '--version', '--sim'], {}, /--version needs a value \(--sim is the next option\)/],
  [['release', 'web', f('ami.json'), '--version'], {}, /--version needs a value/],
  [['release', 'web', f('ami.json'), '--version='], {}, /--version needs a value/],
  [['history', 'web', '--limit'], {}, /--limit needs a value/],
  [['history', 'web', '--limit', '-3'], {}, /--limit must be a non-negative number/],
  [['status', '--version', '1.0.0'], {}, /--version is not an option of status/],
  [['rollback', 'web', '--plot', 'x.svg'], {}, /--plot is not an option of rollback/],
  [['status', '--bogus'], {}, /unknown option --bogus/],
  [['status', '--json=yes'], {}, /--json takes no value/],
  [['release', 'web'], {}, /usage: greenlight release <app> <file\|s3-uri>/],
  [['prewarm', 'web', 'lots'], {}, /<capacity> must be a whole number/],
  [['run-local', 'release', '--input', '{'], {}, /--input is not JSON/],
  [['status', '--at', '5'], {}, /--at is for --sim/],
  [['status', '--sim', '--region', 'us-east-1'], {}, /--region is for an AWS account, not --sim/],
  [['status', '--sim', '--profile', 'prod'], {}, /--profile is for an AWS account, not --sim/],
  // No region anywhere: a usage error with the fix, not the SDK's "Region is missing" trace.
  [['status'], NO_REGION, /no AWS region: pass --region <region>/],
  [['release', 'web', f('ami.json')], NO_REGION, /no AWS region/],
  // release checks the artifact before it uploads anything.
  [['release', 'web', f('app.tar.gz')], {}, /app "web" releases AMIs: give a JSON manifest .*not a \.tar\.gz file; nothing was uploaded/],
  [['release', 'web', f('ami.json'), '--version', '1.0.0'], {}, /manifest says version "9\.9\.9" but its key says "1\.0\.0".*nothing was uploaded/],
  [['release', 'web', f('bad.json')], {}, /manifest releases\/web\/2\.0\.0\.json is invalid.*nothing was uploaded/],
  [['release', 'web', f('missing.json')], {}, /cannot read .*missing\.json/],
  [['release', 'nope', f('ami.json')], {}, /nope/],
];

describe('CLI misuse against AWS: exit 2, the field and the fix named, zero AWS calls', () => {
  it.each(MISUSES)('greenlight %j', async (args, env, says) => {
    const r = await cli(args, env);
    expect({ code: r.code, calls: r.calls }).toEqual({ code: 2, calls: [] });
    expect(r.err).toMatch(says);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('controls: a well-formed command does reach the counting server (so zero above means zero)', async () => {
    const status = await cli(['status', 'web']);
    expect(status.calls.length).toBeGreaterThan(0);
    expect(status.code).toBe(3);
    // A mutating command names the account and region it acts on before acting (here: the
    // identity call is the first request, and the counting server refuses it).
    const release = await cli(['release', 'web', f('ami.json'), '--yes']);
    expect(release.calls[0]).toMatch(/^POST /);
    expect(release.calls.length).toBeGreaterThan(0);
    expect(release.code).toBe(3);
  });
});

describe('CLI: the confirmation before a change in a terminal', () => {
  const ask = async (answer: string) => {
    const input = new PassThrough();
    const output = new PassThrough();
    const asked = confirm('Go ahead? [y/N] ', input, output);
    input.end(`${answer}\n`);
    return asked;
  };
  it('only y or yes goes ahead; anything else (or nothing) does not', async () => {
    expect(await ask('y')).toBe(true);
    expect(await ask('YES')).toBe(true);
    expect(await ask('')).toBe(false);
    expect(await ask('n')).toBe(false);
    expect(await ask('yep')).toBe(false);
  });
});
