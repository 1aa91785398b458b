import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { withAccount } from '../../src/cli/account.js';
import * as ops from '../../src/cli/commands/index.js';
import { ROOT } from '../../src/local/definitions.js';
import { changesInfrastructure } from '../../src/local/transport.js';
import { runCli } from './in-process.js';

function cli(...args: string[]) {
  const r = spawnSync(join(ROOT, 'bin', 'greenlight'), args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** The same command in this process (src/cli/program.ts), as the binary would run it. */
const run = (...args: string[]) => runCli(args);

const sim = (scenario: string, at?: number) => ({ sim: scenario, at, stage: 'dev', configPath: 'unused' });

describe('CLI: help and exit codes', () => {
  it('--help lists every command; usage errors exit 2 and say what to do', () => {
    const help = cli('--help');
    expect(help.code).toBe(0);
    for (const c of ['release', 'status', 'history', 'rollback', 'retire', 'abort', 'plan', 'verify', 'run-local', 'simulate', 'bench'])
      expect(help.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(cli('plan', '--help')).toMatchObject({ code: 0, out: expect.stringContaining('greenlight plan <app> <version>') });
    expect(cli('deploy-it')).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "deploy-it"') });
    expect(cli('plan', 'web')).toMatchObject({ code: 2, err: expect.stringContaining('usage: greenlight plan <app> <version>') });
    expect(cli('status', '--bogus')).toMatchObject({ code: 2, err: expect.stringContaining('unknown option --bogus') });
    expect(cli('status', '--at', '5')).toMatchObject({ code: 2, err: expect.stringContaining('--at is for --sim') });
  });

  it('verify --sim --json: every configured resource OK; status and history as JSON', async () => {
    const v = await run('verify', 'web', '--sim', 'asg-release', '--json');
    expect(v.code).toBe(0);
    const checks = JSON.parse(v.out).checks as { check: string; status: string }[];
    expect(checks.map((c) => c.status)).not.toContain('NG');
    expect(checks.map((c) => c.check)).toEqual(expect.arrayContaining(['listener', 'target groups', 'launch template', 'blue auto scaling group', 'green auto scaling group']));
    const h = await run('history', 'web', '--sim', 'concurrent-releases', '--json');
    expect(h.code).toBe(0);
    expect(JSON.parse(h.out).releases.map((r: { version: string; outcome: string }) => `${r.version} ${r.outcome}`)).toEqual(['1.4.4 released', '1.4.3 superseded', '1.4.2 released']);
  });

  it('simulate --plot writes the SVG file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'greenlight-')), 'plot.svg');
    const r = await run('simulate', 'smoke-fail', '--json', '--plot', file);
    expect(r.code).toBe(0); // smoke-fail rolls back, as it expects: every invariant held
    expect(JSON.parse(r.out.trim().split('\n').pop()!)).toMatchObject({ outcome: 'rolled-back', prodRequestsToGreen: 0 });
    expect(readFileSync(file, 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
  });

  it('promote answers the approval gate; with nothing waiting it exits 1', async () => {
    const r = await run('promote', 'web', '--sim', 'approval', '--at', '300', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ version: '1.4.2', promoted: expect.stringContaining(':execution:') });
    expect(await run('promote', 'web', '--sim', 'approval', '--at', '100')).toMatchObject({ code: 1, out: 'no release of web waits for approval\n' });
  });

  it('a rollback with nothing to roll back to exits 1 with the reason', async () => {
    const r = await run('rollback', 'web', '--sim', 'asg-release', '--at', '5');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/rejected: ReleaseRejected: nothing to roll back to: both colours of web are pinned to 1\.4\.1/);
  });
});

describe('CLI operations on the simulator', () => {
  it('plan prints the exact inputs of every change, in order, and changes nothing', async () => {
    await withAccount(sim('asg-release'), async (account) => {
      const session = account.session!;
      const before = session.transport.calls.length;
      const ltVersions = session.world.launchTemplates.get([...session.world.launchTemplates.keys()][0])!.versions.size;
      const r = await ops.plan(account, 'web', '1.4.3');
      expect(r.code).toBe(0);
      const phases = (r.json as { phases: { phase: string; calls: { command: string; input: Record<string, unknown> }[] }[] }).phases;
      const calls = phases.flatMap((p) => p.calls);
      expect(calls.map((c) => c.command)).toEqual(['CreateLaunchTemplateVersion', 'UpdateAutoScalingGroup', 'ModifyListener', 'UpdateAutoScalingGroup', 'UpdateAutoScalingGroup']);
      expect(calls[0].input).toMatchObject({ SourceVersion: '2', VersionDescription: expect.stringMatching(/^greenlight web@1\.4\.3 s3v=/) });
      expect(calls[1].input).toMatchObject({ AutoScalingGroupName: 'web-blue', DesiredCapacity: 4, LaunchTemplate: { Version: '<new version>' } });
      const forward = (calls[2].input.DefaultActions as { ForwardConfig: { TargetGroups: { TargetGroupArn: string; Weight: number }[] } }[])[0].ForwardConfig.TargetGroups;
      expect(forward.map((g) => [g.TargetGroupArn.split('/')[1], g.Weight])).toEqual([
        ['web-blue', 100],
        ['web-green', 0],
      ]);
      expect(calls[3].input).toEqual({ AutoScalingGroupName: 'web-green', MinSize: 1, DesiredCapacity: 1 });
      expect(calls[4].input).toEqual({ AutoScalingGroupName: 'web-green', MinSize: 0, DesiredCapacity: 0 });
      // Nothing reached the account: no change recorded by the simulator after the plan began.
      expect(session.transport.calls.slice(before).filter(changesInfrastructure)).toEqual([]);
      expect(session.world.launchTemplates.get([...session.world.launchTemplates.keys()][0])!.versions.size).toBe(ltVersions);
      expect(session.world.group('web-blue').desired).toBe(0);
      return r;
    });
  });

  it('plan of a canary release lists each weight step', async () => {
    await withAccount(sim('canary', 5), async (account) => {
      const r = await ops.plan(account, 'web', '1.4.2');
      const phases = (r.json as { phases: { phase: string }[] }).phases.map((p) => p.phase);
      expect(phases.filter((p) => /% of traffic/.test(p))).toEqual([
        'once green is healthy (900 s at most): 10% of traffic, then bake 300 s',
        'once green is healthy (900 s at most): 100% of traffic',
      ]);
      return r;
    });
  });

  it('release checks an ECS manifest\'s images in ECR before it uploads: a missing one makes no write at all', async () => {
    const { pushImage } = await import('../../src/sim/build.js');
    const { writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'greenlight-ecr-'));
    const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    await withAccount(sim('ecs-release', 5), async (account) => {
      const { world, transport } = account.session!;
      const objects = () => [...world.s3.buckets.values()].flatMap((b) => [...b.objects.keys()]).sort();
      const before = objects();
      writeFileSync(join(dir, '5.0.0.json'), JSON.stringify({ version: '5.0.0', images: { api: `${registry}/api:5.0.0` } }));
      const from = transport.calls.length;
      await expect(ops.release(account, 'api', join(dir, '5.0.0.json'), { wait: false })).rejects.toThrow(/api:5\.0\.0 for container api of api, which does not exist.*nothing was uploaded/);
      const made = transport.calls.slice(from);
      expect(made.map((c) => c.command)).toContain('DescribeImages');
      expect(made.filter((c) => c.mutating)).toEqual([]);
      expect(objects()).toEqual(before);
      // Pushed: the same manifest is uploaded.
      pushImage(world, 'api', '5.0.0');
      const r = await ops.release(account, 'api', join(dir, '5.0.0.json'), { wait: false });
      expect(r.code).toBe(0);
      expect(objects()).toEqual([...before, 'releases/api/5.0.0.json'].sort());
      return r;
    });
  });

  it('verify says NG, and exits 1, when a configured resource is missing', async () => {
    await withAccount(sim('asg-release', 5), async (account) => {
      const world = account.session!.world;
      const green = account.config.apps.web.kind === 'asg' ? account.config.apps.web.green.targetGroupArn : '';
      world.elb.targetGroups.delete(green);
      world.groups.delete('web-blue');
      const r = await ops.verify(account, 'web');
      expect(r.code).toBe(1);
      const checks = (r.json as { checks: { check: string; status: string; detail: string }[] }).checks;
      expect(checks.find((c) => c.check === 'target groups')).toMatchObject({ status: 'NG', detail: expect.stringContaining('web-green') });
      expect(checks.find((c) => c.check === 'blue auto scaling group')).toMatchObject({ status: 'NG' });
      return r;
    });
  });

  it('verify with iam.scope: tags says NG for a group without the stack\'s tag, OK for one with it', async () => {
    await withAccount(sim('asg-release', 5), async (account) => {
      const world = account.session!.world;
      (account.config as { iam: unknown }).iam = { scope: 'tags', stack: 'sim' };
      world.resourceTags.set(world.groups.get('web-blue')!.arn, { 'greenlight:stack': 'sim' });
      const r = await ops.verify(account, 'web');
      const checks = (r.json as { checks: { check: string; status: string; detail: string }[] }).checks;
      expect(r.code).toBe(1);
      expect(checks.find((c) => c.check === 'blue auto scaling group')).toMatchObject({ status: 'OK' });
      expect(checks.find((c) => c.check === 'green auto scaling group')).toEqual({ check: 'green auto scaling group', status: 'NG', detail: 'web-green lacks the tag greenlight:stack=sim (iam.scope: tags): tag it in your infrastructure code' });
      return r;
    });
  });

  it('verify with iam.scope: tags names every other resource without the tag: listener, launch template; ECS services; the Elastic IP', async () => {
    const tagsCheck = async (scenario: string, tag: (world: import('../../src/sim/world.js').World, config: import('../../src/core/config.js').Config) => void) =>
      withAccount(sim(scenario, 5), async (account) => {
        (account.config as { iam: unknown }).iam = { scope: 'tags', stack: 'sim' };
        tag(account.session!.world, account.config);
        const r = await ops.verify(account, Object.keys(account.config.apps)[0]);
        return (r.json as { checks: { check: string; status: string; detail: string }[] }).checks.find((c) => c.check === 'stack tag');
      });
    const stack = { 'greenlight:stack': 'sim' };
    const lt = (c: import('../../src/core/config.js').Config) => `arn:aws:ec2:us-east-1:123456789012:launch-template/${(Object.values(c.apps)[0] as { launchTemplateId: string }).launchTemplateId}`;
    // asg: neither tagged, then the launch template only, then both.
    expect(await tagsCheck('asg-release', () => {})).toMatchObject({ status: 'NG', detail: expect.stringMatching(/^launch template lt-\w+; listener arn:aws:elasticloadbalancing:\S+ lack the tag greenlight:stack=sim \(iam.scope: tags\): tag them/) });
    expect(await tagsCheck('asg-release', (w, c) => w.resourceTags.set(lt(c), stack))).toMatchObject({ status: 'NG', detail: expect.stringMatching(/^listener arn:\S+ lacks the tag/) });
    expect(await tagsCheck('asg-release', (w, c) => {
      w.resourceTags.set(lt(c), stack);
      w.resourceTags.set((Object.values(c.apps)[0] as { listenerArn: string }).listenerArn, stack);
    })).toMatchObject({ status: 'OK' });
    // ecs: the services; eip: the address.
    expect(await tagsCheck('ecs-release', () => {})).toMatchObject({ status: 'NG', detail: expect.stringMatching(/ECS service \S+\/api-blue; ECS service \S+\/api-green lack the tag/) });
    expect(await tagsCheck('eip-release', (w, c) => w.resourceTags.set(lt(c), stack))).toMatchObject({ status: 'NG', detail: expect.stringMatching(/^Elastic IP eipalloc-\w+ lacks the tag/) });
    // Queue workers (retire.quiesce hands their counts over): the colours' services tagged, the workers' not.
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'greenlight-workers-')), 'ecs-workers.yml');
    writeFileSync(file, readFileSync(join(ROOT, 'scenarios', 'ecs-release.yml'), 'utf8').replace('    tasks: 6\n', '    tasks: 6\n    workers: 2\n'));
    const workers = await tagsCheck(file, (w, c) => {
      w.resourceTags.set((Object.values(c.apps)[0] as { listenerArn: string }).listenerArn, stack);
      for (const svc of w.ecs.services.values()) if (!svc.name.includes('worker')) w.resourceTags.set(svc.arn, stack);
    });
    expect(workers).toMatchObject({ status: 'NG', detail: expect.stringMatching(/^ECS service \S+\/api-worker-blue; ECS service \S+\/api-worker-green lack the tag/) });
  });

  it('status mid-bake of a judged canary says what will be judged, and then the rollback says why', async () => {
    await withAccount(sim('canary-judge-bad', 300), async (account) => {
      const r = await ops.status(account, 'web');
      expect((r.json as { apps: { phase: string }[] }).apps[0].phase).toMatch(/takes 10% of traffic: .* bake left; at the end of the bake its errors and latency are judged against the old colour's; greenlight abort web/);
      return r;
    });
    await withAccount(sim('canary-judge-bad', 900), async (account) => {
      const h = await ops.history(account, 'web', 1);
      expect(h.text).toMatch(/rolled-back[\s\S]*CanaryJudgedBad: canary judged fail at 10%.*errors high \(p=/);
      return h;
    });
  });

  it('abort mid-canary stops the release, frees its lock and rolls the split traffic back to blue', async () => {
    await withAccount(sim('canary', 200), async (account) => {
      const r = await ops.abort(account, 'web', true);
      expect(r.code).toBe(0);
      expect(r.json).toMatchObject({ cleanup: 'rollback', outcome: 'rolled-back' });
      const { world, sfn } = account.session!;
      const stopped = [...sfn.executions.values()].find((e) => e.name.startsWith('web-1_4_2'))!;
      expect(stopped.status).toBe('ABORTED');
      const tgs = world.elb.listener([...world.elb.listeners.keys()][0]).defaultActions[0].ForwardConfig!.TargetGroups!;
      expect(tgs.filter((g) => (g.Weight ?? 0) > 0).map((g) => g.TargetGroupArn?.split('/')[1])).toEqual(['web-blue']);
      return r;
    });
  });
});

describe('CLI: abort before the lock', () => {
  it('abort of a release that has not taken the lock yet stops it: nothing changes, nothing is left behind', async () => {
    await withAccount(sim('asg-release', 12.2), async (account) => { // started at 11.4 s, the lock written at 12.5 s
      const { world, sfn, procs } = account.session!;
      const before = world.launchTemplates.get([...world.launchTemplates.keys()][0])!.latestVersion;
      const release = [...sfn.executions.values()].find((e) => e.name.startsWith('web-1_4_2'))!;
      expect(release.status).toBe('RUNNING');
      const r = await ops.abort(account, 'web', true);
      expect(r).toMatchObject({ code: 0, json: { aborted: [release.executionArn], cleanup: null } });
      expect(r.text).toMatch(/before it took the lock: nothing had changed/);
      await procs.runUntil(() => false, account.session!.clock.now + 600); // what it would have done by now
      expect(release.status).toBe('ABORTED');
      expect(world.group('web-green').desired).toBe(0);
      expect(world.launchTemplates.get([...world.launchTemplates.keys()][0])!.latestVersion).toBe(before);
      const lock = await (await import('../../src/aws/dynamodb.js')).readLock(account.clients.dynamodb, account.names.table, 'web');
      // Its Lock step was in flight when it was stopped and took the lock anyway; abort let go of it.
      expect(lock.owner).toBeUndefined();
      expect(r.json).toMatchObject({ lockFreed: true });
      // Nothing left to abort.
      expect((await ops.abort(account, 'web', true)).code).toBe(1);
      return r;
    });
  });
});

describe('CLI: run-local against an account', () => {
  it('names its executions under the stack\'s own state machines, not the simulator\'s', async () => {
    const { machineArn } = await import('../../src/cli/run-local.js');
    const names = {
      bucket: 'b',
      table: 't',
      topicArn: 'arn:aws:sns:eu-west-1:111122223333:greenlight',
      releaseStateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:greenlight-prod-release',
      capacityStateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:greenlight-prod-capacity',
    };
    expect(machineArn({ kind: 'aws', names }, 'release')).toBe(names.releaseStateMachineArn);
    expect(machineArn({ kind: 'aws', names }, 'capacity')).toBe(names.capacityStateMachineArn);
    expect(machineArn({ kind: 'sim', names }, 'release')).toMatch(/:123456789012:stateMachine:greenlight-sim-release$/);
  });

  it('stops a local execution once greenlight abort took the lock from it, and only then', async () => {
    const { lockWatch } = await import('../../src/cli/run-local.js');
    const me = 'arn:aws:states:eu-west-1:111122223333:execution:greenlight-prod-release:run-local-host-1';
    const settle = () => new Promise((r) => setImmediate(r));
    const run = async (aborted: (string | null | Error)[]) => {
      const stopped: string[] = [];
      let k = 0;
      const watch = lockWatch(
        () => {
          const o = aborted[k++];
          return o instanceof Error ? Promise.reject(o) : Promise.resolve(o);
        },
        (e) => stopped.push(e),
      );
      for (let i = 0; i < aborted.length; i++) {
        watch(me);
        await settle();
      }
      return stopped;
    };
    // The lock let go by the release itself (keep-warm, Finish) names nobody: it goes on.
    expect(await run([null, null, null])).toEqual([]);
    // Another execution was aborted earlier: not this one.
    expect(await run(['arn:aws:states:eu-west-1:111122223333:execution:greenlight-prod-release:other', null])).toEqual([]);
    // Aborted: stopped once.
    expect(await run([null, me, me])).toEqual([me]);
    // A failed read says nothing.
    expect(await run([new Error('throttled'), null])).toEqual([]);
  });
});

describe('CLI: --json is one document; a hand-typed input of the wrong shape is a rejection', () => {
  it('run-local with [1,2], "x" or 7 ends Rejected (was States.ResultPathMatchFailure); the states go to stderr', async () => {
    for (const [machine, input, error] of [
      ['release', '[1,2]', 'ReleaseRejected'],
      ['release', '"x"', 'ReleaseRejected'],
      ['capacity', '7', 'CapacityInputRejected'],
    ]) {
      const r = await run('run-local', machine, '--sim', '--input', input, '--json');
      expect(r.code).toBe(1);
      const out = JSON.parse(r.out);
      expect({ input, error: out.error, states: out.states }).toEqual({ input, error, states: [machine === 'release' ? 'Resolve' : 'Classify', 'InputRejected', 'Rejected'] });
      expect(out.cause).toContain('Invalid input: expected object');
    }
  });

  it('scenarios --json and check-config --json print one JSON document', async () => {
    const s = await run('scenarios', '--json');
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out).scenarios.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(['asg-release', 'canary', 'ecs-release']));
    const ok = await run('check-config', '--json');
    expect({ code: ok.code, ok: JSON.parse(ok.out).ok, apps: JSON.parse(ok.out).apps.length }).toEqual({ code: 0, ok: true, apps: 4 });
    const bad = await run('check-config', 'no-such-file.yml', '--json');
    expect({ code: bad.code, ok: JSON.parse(bad.out).ok }).toEqual({ code: 1, ok: false });
  });
});

describe('CLI: status says the phase; weights in percent; outcome words', () => {
  const statusOf = async (scenario: string, at: number) => {
    const r = await run('status', 'web', '--sim', scenario, '--at', String(at), '--json');
    expect(r.code).toBe(0);
    return JSON.parse(r.out).apps[0] as { phase: string | null; colours: { colour: string; percent: number }[]; live: unknown; step: { step: number; bakeSeconds: number; bakeLeftSeconds: number } | null };
  };
  it('mid-canary: the step and the split; at the gate: the command that answers it; keep-warm; nothing running', async () => {
    const canary = await statusOf('canary', 200);
    expect(canary.phase).toMatch(/1\.4\.2 takes 10% of traffic: step 1 of 2 \(10% → 100%\)/);
    expect(canary.colours.map((c) => `${c.colour} ${c.percent}`)).toEqual(['blue 90', 'green 10']);
    // The step's bake time left, counted from the shift's read-back: a minute later, a minute less.
    const later = await statusOf('canary', 260);
    expect(canary.step).toMatchObject({ step: 1, bakeSeconds: 300 });
    expect(canary.step!.bakeLeftSeconds).toBeGreaterThan(0);
    expect(canary.step!.bakeLeftSeconds).toBeLessThan(300);
    expect(canary.step!.bakeLeftSeconds - later.step!.bakeLeftSeconds).toBe(60);
    expect(later.phase).toContain(`${Math.floor(later.step!.bakeLeftSeconds / 60)} min ${later.step!.bakeLeftSeconds % 60} s of its 5 min bake left`);
    const gate = await statusOf('approval', 150);
    expect(gate.phase).toMatch(/waits for approval: greenlight promote web/);
    // A plain forward (weight 1, no ForwardConfig weights) is 100%, not "weight 1".
    expect(gate.colours.map((c) => `${c.colour} ${c.percent}`)).toEqual(['blue 100', 'green 0']);
    expect((await statusOf('asg-release', 300)).phase).toMatch(/kept warm for 7 min 31 s more for a rollback at once/);
    expect((await statusOf('asg-release', 1000)).phase).toBeNull();
  });
  it('a retire that succeeds says retired, not released', async () => {
    const r = await run('retire', 'web', '--sim', 'asg-release', '--at', '300');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').pop()).toMatch(/ retired$/);
  });
});

describe('CLI: wait', () => {
  it("follows the app's running release to its end; the exit code is its outcome's", async () => {
    const ok = await run('wait', 'web', '--sim', 'canary', '--at', '200');
    expect({ code: ok.code, last: ok.out.trim().split('\n').pop() }).toEqual({ code: 0, last: expect.stringMatching(/ released$/) });
    const guarded = await run('wait', 'web', '--sim', 'alarm-rollback', '--at', '150');
    expect({ code: guarded.code, last: guarded.out.trim().split('\n').pop() }).toEqual({ code: 1, last: expect.stringMatching(/ rolled-back: AlarmRollback: guard alarm web-target-5xx/) });
    expect(await run('wait', 'web', '--sim', 'asg-release')).toMatchObject({ code: 0, out: 'no release of web is running\n' });
  });
});

describe('CLI: diff', () => {
  it('shows what a release would change against live as a unified diff, changing nothing', async () => {
    const asg = await run('diff', 'web', '1.4.3', '--sim');
    expect(asg.code).toBe(0);
    expect(asg.out).toMatch(/^--- live: web green 1\.4\.2$/m);
    expect(asg.out).toMatch(/^-ImageId: ami-[0-9a-f]+$/m);
    expect(asg.out).toMatch(/^\+ImageId: ami-[0-9a-f]+$/m);
    expect(asg.out).toMatch(/^\+VersionDescription: greenlight web@1\.4\.3 /m);
    const ecs = JSON.parse((await run('diff', 'api', '3.4.0', '--sim', 'ecs-release', '--json')).out);
    expect(ecs.changed).toBe(true);
    expect(ecs.diff).toMatch(/^- {6}"image": ".*\/api@sha256:[0-9a-f]{64}",$/m);
    expect(ecs.diff).toMatch(/^\+ {6}"image": ".*\/api@sha256:[0-9a-f]{64}",$/m);
    // Only the image and the release tag differ: the rest of the task definition is carried over.
    expect((ecs.diff as string).split('\n').filter((l) => /^[-+] /.test(l))).toHaveLength(4);
  });
});

describe('CLI: init', () => {
  it('writes an app entry from the resources that exist, which check-config accepts and which matches the deployed config', async () => {
    const { loadScenarioFile, startSession } = await import('../../src/local/simulate.js');
    const { scenarioPath } = await import('../../src/cli/scenarios.js');
    const { parse } = await import('yaml');
    const expected = (scenario: string, app: string) => {
      const s = startSession(loadScenarioFile(scenarioPath(scenario)));
      s.uninstall();
      return s.config.apps[app] as Record<string, unknown> & { blue: Record<string, unknown>; green: Record<string, unknown> };
    };
    const file = join(mkdtempSync(join(tmpdir(), 'greenlight-init-')), 'greenlight.config.yml');
    const asg = expected('asg-rule-route', 'api');
    const a = await run('init', 'api2', '--sim', 'asg-rule-route', '--rule', asg.ruleArn as string, '--blue', 'api-blue', '--green', 'api-green', '--config', file);
    expect(a).toMatchObject({ code: 0, out: expect.stringContaining('apps.api2 written') });
    const ecs = expected('ecs-release', 'api');
    const e = await run('init', 'api3', '--sim', 'ecs-release', '--listener', ecs.listenerArn as string, '--blue', `${ecs.blue.cluster}/api-blue`, '--green', `${ecs.green.cluster}/api-green`, '--config', file);
    expect(e.code).toBe(0);
    const doc = parse(readFileSync(file, 'utf8')).apps;
    expect(doc.api2).toEqual({ kind: 'asg', listenerArn: asg.listenerArn, ruleArn: asg.ruleArn, launchTemplateId: asg.launchTemplateId, artifact: { type: 'ami' }, blue: asg.blue, green: asg.green });
    expect(doc.api3).toMatchObject({ kind: 'ecs', capacity: 'fargate', listenerArn: ecs.listenerArn, blue: ecs.blue, green: ecs.green });
    expect(await run('check-config', file)).toMatchObject({ code: 0 });
    // Again: refused, the file unchanged; a wrong pairing is refused with the reason.
    const before = readFileSync(file, 'utf8');
    expect(await run('init', 'api2', '--sim', 'asg-rule-route', '--rule', asg.ruleArn as string, '--blue', 'api-blue', '--green', 'api-green', '--config', file)).toMatchObject({ code: 2, err: expect.stringContaining('already has an app "api2"') });
    expect(await run('init', 'api4', '--sim', 'asg-rule-route', '--rule', asg.ruleArn as string, '--blue', 'api-blue', '--green', 'api-blue', '--config', file)).toMatchObject({ code: 2, err: expect.stringContaining('one target group') });
    expect(await run('init', 'api4', '--sim', 'asg-rule-route', '--listener', asg.listenerArn as string, '--rule', asg.ruleArn as string, '--blue', 'api-blue', '--green', 'api-green', '--config', file)).toMatchObject({ code: 2, err: expect.stringContaining('one of them') });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
