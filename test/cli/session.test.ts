import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../src/cli/sessions.js';
import { ROOT } from '../../src/local/definitions.js';

// One simulator session driven command by command, as an operator would: each command is a new
// process, and the world it acts on is the one the previous commands left.

const dir = mkdtempSync(join(tmpdir(), 'greenlight-session-'));
const env = { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', GREENLIGHT_SIM_DIR: join(dir, 'sessions') };

function gl(...args: string[]) {
  const r = spawnSync(join(ROOT, 'bin', 'greenlight'), args, { cwd: dir, encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const json = (...args: string[]) => {
  const r = gl(...args, '--json');
  expect({ args, code: r.code, err: r.err }).toMatchObject({ args, code: 0 });
  return JSON.parse(r.out);
};
type AppStatus = { phase: string | null; live: { colour: string; version: string } | null; colours: { colour: string; percent: number; version: string }[] };
const web = (doc: { apps: AppStatus[] }) => doc.apps[0];

describe('Simulator session: start, release a registered AMI, canary, alarm, rollback', () => {
  it('keeps its world across commands, and every phase shows in status', () => {
    expect(gl('sim', 'start', 'alarm-rollback', '--session', 'walk').code).toBe(0);
    // Before anything: the scenario's world without its script.
    expect(web(json('status', '--sim', 'walk')).live).toEqual({ colour: 'blue', version: '1.4.1' });

    // An AMI registered in the session, released from a manifest file.
    const ami = json('sim', 'image', 'add', 'web', '2.0.0', '--session', 'walk');
    expect(ami.imageId).toMatch(/^ami-[0-9a-f]{17}$/);
    writeFileSync(join(dir, '2.0.0.json'), JSON.stringify(ami.manifest));
    const first = gl('release', 'web', '2.0.0.json', '--sim', 'walk');
    expect(first.code).toBe(0);
    expect(first.out.trim().split('\n').pop()).toMatch(/released$/);
    expect(web(json('status', '--sim', 'walk')).live).toEqual({ colour: 'green', version: '2.0.0' });

    // The next one, without waiting; then time moves and the canary step shows.
    const next = json('sim', 'image', 'add', 'web', '2.1.0', '--session', 'walk');
    writeFileSync(join(dir, '2.1.0.json'), JSON.stringify(next.manifest));
    expect(gl('release', 'web', '2.1.0.json', '--sim', 'walk', '--no-wait').code).toBe(0);
    // Its S3 event is on its way: nothing runs yet; 30 s later green is being prepared.
    expect(web(json('status', '--sim', 'walk')).phase).toBeNull();
    expect(web(json('sim', 'advance', '30s', '--session', 'walk')).phase).toMatch(/2\.1\.0 is being prepared/);
    const canary = web(json('sim', 'advance', '170s', '--session', 'walk'));
    expect(canary.phase).toMatch(/2\.1\.0 takes 10% of traffic: step 1 of 2/);
    expect(canary.colours.map((c) => `${c.colour} ${c.percent} ${c.version}`)).toEqual(['blue 10 2.1.0', 'green 90 2.0.0']);

    // The guard alarm goes off: the guard puts all traffic back on 2.0.0.
    const after = web(json('sim', 'alarm', 'web-target-5xx', 'ALARM', '--session', 'walk'));
    expect(after.live).toEqual({ colour: 'green', version: '2.0.0' });
    const history = json('history', 'web', '--sim', 'walk').releases as { version: string; outcome: string }[];
    expect(history.map((r) => `${r.version} ${r.outcome}`)).toEqual(expect.arrayContaining(['2.1.0 rolled-back', '2.0.0 released']));

    // A rollback by hand from there: back to 1.4.1, the version before 2.0.0 (blue is left pinned
    // to the failed 2.1.0: a rollback to the idle colour's pin would put the bad version live).
    json('sim', 'alarm', 'web-target-5xx', 'OK', '--session', 'walk');
    json('sim', 'advance', '10m', '--session', 'walk');
    const back = gl('rollback', 'web', '--sim', 'walk');
    expect(back.code).toBe(0);
    expect(web(json('status', '--sim', 'walk')).live).toEqual({ colour: 'blue', version: '1.4.1' });

    // The session lists its commands; stop forgets it, and --sim walk is then no session.
    const list = json('sim', 'list').sessions as { name: string; commands: number }[];
    expect(list).toEqual([expect.objectContaining({ name: 'walk', commands: 7 })]);
    expect(gl('sim', 'stop', '--session', 'walk').code).toBe(0);
    expect(existsSync(join(dir, 'sessions', 'walk.json'))).toBe(false);
    expect(gl('sim', 'status', '--session', 'walk')).toMatchObject({ code: 2, err: expect.stringContaining('no simulator session "walk"') });
  }, 240_000);

  it('refuses a second start of one name, a bad name, a bad duration, an unknown app', () => {
    expect(gl('sim', 'start', 'asg-release', '--session', 'twice').code).toBe(0);
    expect(gl('sim', 'start', 'asg-release', '--session', 'twice')).toMatchObject({ code: 2, err: expect.stringContaining('session "twice" exists') });
    expect(gl('sim', 'start', '--session', 'Bad_Name')).toMatchObject({ code: 2, err: expect.stringContaining('is invalid') });
    expect(gl('sim', 'advance', 'soon', '--session', 'twice')).toMatchObject({ code: 2, err: expect.stringContaining('duration "soon" is not one') });
    expect(gl('sim', 'image', 'add', 'nope', '1.0.0', '--session', 'twice')).toMatchObject({ code: 2, err: expect.stringContaining('no app "nope"') });
    expect(gl('sim', 'stop', '--session', 'twice').code).toBe(0);
  }, 120_000);

  it('ECS: release checks the manifest\'s images in ECR first; a missing one uploads nothing, a pushed one releases', () => {
    expect(gl('sim', 'start', 'ecs-release', '--session', 'ecr').code).toBe(0);
    const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    const manifest = (version: string, image: string) => {
      writeFileSync(join(dir, `${version}.json`), JSON.stringify({ version, images: { api: image } }));
      return `${version}.json`;
    };
    const objects = () => json('sim', 'status', '--session', 'ecr');
    const before = objects();
    // A tag never pushed, and a repository that does not exist: exit 2, the image named, nothing uploaded.
    const tag = gl('release', 'api', manifest('2.1.0', `${registry}/api:2.1.0`), '--sim', 'ecr');
    expect(tag).toMatchObject({ code: 2, err: expect.stringMatching(/api:2\.1\.0 for container api of api, which does not exist \(tag 2\.1\.0 is not in repository api\).*nothing was uploaded/) });
    const repo = gl('release', 'api', manifest('2.1.0', `${registry}/nosuch:2.1.0`), '--sim', 'ecr');
    expect(repo).toMatchObject({ code: 2, err: expect.stringContaining('repository nosuch does not exist in registry 123456789012') });
    expect(json('sim', 'list').sessions).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'ecr', commands: 0 })]));
    expect(objects()).toEqual(before);
    // Pushed (sim image add): by digest, or by its version's tag; the release goes live.
    const pushed = json('sim', 'image', 'add', 'api', '2.0.0', '--session', 'ecr');
    expect(pushed.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    const released = gl('release', 'api', manifest('2.0.0', `${registry}/api:2.0.0`), '--sim', 'ecr');
    expect(released.code).toBe(0);
    expect(web(json('status', '--sim', 'ecr')).live).toEqual({ colour: 'green', version: '2.0.0' });
    expect(gl('sim', 'stop', '--session', 'ecr').code).toBe(0);
  }, 240_000);

  it('durations', () => {
    expect([parseDuration('90'), parseDuration('90s'), parseDuration('5m'), parseDuration('1h30m'), parseDuration('2.5s')]).toEqual([90, 90, 300, 5400, 2.5]);
    expect(() => parseDuration('0')).toThrow('more than 0');
    expect(() => parseDuration('-5')).toThrow('is not one');
  });
});

describe('Simulator session: real I/O does not let virtual time run ahead', () => {
  it('the SDK reading slow shared config files (3 s) leaves the release where the script puts it', () => {
    // A fresh process: the SDK reads AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE on a
    // client's first call. Here they are named pipes whose writer waits 3 s of real time. With
    // the clock moving meanwhile (Processes.settle before it waited for real I/O) the release
    // never ran before t=150: "running: none".
    const fifos = ['config', 'credentials'].map((f) => join(dir, `slow-${f}`));
    for (const f of fifos) {
      execFileSync('mkfifo', [f]);
      spawn('sh', ['-c', `sleep 3; printf '' > "${f}"`], { stdio: 'ignore' });
    }
    const r = spawnSync(join(ROOT, 'bin', 'greenlight'), ['sim', 'start', 'approval', '--at', '150', '--session', 'slow-io'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...env, AWS_CONFIG_FILE: fifos[0], AWS_SHARED_CREDENTIALS_FILE: fifos[1] },
      timeout: 120_000,
    });
    expect({ code: r.status, err: r.stderr }).toEqual({ code: 0, err: '' });
    expect(r.stdout).toMatch(/phase: 1\.4\.2 waits for approval/);
    expect(r.stdout).toMatch(/running: web-1_4_2-\w+ since 2026-01-05T09:00:11\.450Z/);
  }, 120_000);
});
