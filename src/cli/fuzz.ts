import fc from 'fast-check';
import { InvalidInput } from '../core/errors.js';
import { simDeps } from '../local/deps.js';
import { loadScenario } from '../local/simulate.js';
import { changesInfrastructure, SimTransport } from '../local/transport.js';
import { NO_STEP_FUNCTIONS, simApi } from '../sim/api.js';
import { buildWorld, REGISTRY, SIM_BUCKET } from '../sim/build.js';
import { VirtualClock } from '../sim/clock.js';
import { hexId } from '../sim/world.js';
import type { Deps } from '../steps/deps.js';
import { plan } from '../steps/plan.js';
import { resolve } from '../steps/resolve.js';

// Bad input must end in a clear validation error from the check meant for it, and change
// nothing. Each class of generated input names that check (by the message it gives); an input
// rejected by another check is a failure of the fuzzer, since it proves nothing about the
// intended one. Inputs go through the real Resolve and Plan steps (the only steps before the
// first change) on the simulator.

const APPS = loadScenario({
  name: 'fuzz',
  description: 'fuzz targets',
  apps: [
    { name: 'web', instances: 2, route: 'rule', initialVersion: '1.0.0' },
    { name: 'shop', instances: 2, artifact: 'bundle', route: 'rule', initialVersion: '1.0.0' },
    { name: 'api', kind: 'ecs', capacity: 'fargate', tasks: 2, route: 'rule', initialVersion: '1.0.0', greenlight: { retire: { keepWarmTasks: 1 }, images: { requireDigest: true }, deniedEnvironment: ['FEATURE_*'] } },
  ],
  steps: [{ at: 0, uploadRaw: { key: 'fuzz/placeholder', body: 'x' } }],
});

/** The checks, by the message each gives (src/core/artifact.ts, src/core/ecs.ts, src/steps/resolve.ts, src/core/config.ts). */
export const CHECKS: Record<string, RegExp> = {
  'event shape': /^malformed S3 "Object Created" event|^input must be an S3 "Object Created" event/,
  'artifact bucket': /^event is for bucket /,
  'key encoding': / is not validly URL-encoded$/,
  'key prefix': / is outside releases\/: upload to releases/,
  'key parts': / must have exactly two parts after releases\//,
  'app name': /^app name .* is invalid: use lowercase letters/,
  'key extension': / has no recognised extension: use \.json/,
  'key version': /^version .* in key .* is invalid: 1-64 characters/,
  'configured app': /^unknown app ".*": add it under apps:/,
  'artifact type': /^app ".*" releases (container images|AMIs|bundles): upload /,
  'S3 lookup (event)': /^artifact s3:\/\/.* version .* no longer exists$/,
  'S3 lookup (hand-typed)': /^no artifact for .*: upload one of s3:\/\//,
  'manifest JSON': /^manifest releases\/.* is not valid JSON/,
  'manifest schema': /^manifest releases\/.* is invalid: .*; expected /,
  'manifest version': /^manifest says version ".*" but its key says ".*": they must match$/,
  checksum: /does not match its S3 SHA-256 checksum: the object is corrupt or was tampered with$/,
  'AMI exists': /names ami-[0-9a-f]+, which does not exist in this account and region/,
  'AMI owner': /names ami-[0-9a-f]+, owned by \d{12}, not by an allowed owner \(apps\.[a-z0-9-]+\.allowedImageOwners/,
  'image repository': /^the manifest's image .* for container .* is from repository .*, not .*: push it there, or list its repository/,
  'image digest': /^the manifest's image .* for container .* is not pinned by digest \(apps\.[a-z0-9-]+\.images\.requireDigest\)/,
  'environment override': /^the manifest sets environment variable .* of container .*, which (is one of the task's secrets|manifests may not set)/,
  'known containers': /^the manifest names container\(s\) .*, which the live task definition .* does not have/,
  'hand-typed input': /^input must be an S3 "Object Created" event, \{"app":"<app>","version":"<version>"\}/,
  'alarm event': /^malformed "CloudWatch Alarm State Change" event|^alarm .* is (OK|INSUFFICIENT_DATA), not ALARM|^alarm .* is neither a greenlight status alarm/,
};

const s3Event = (key: unknown, extra: Record<string, unknown> = {}, bucket = SIM_BUCKET) => ({
  version: '0',
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: bucket }, object: { key, 'version-id': 'v', size: 1, ...extra } },
});

export interface ClassResult {
  class: string;
  check: string;
  inputs: number;
  rejectedByIntendedCheck: number;
}

export async function runFuzz(json: boolean): Promise<number> {
  const r = await fuzz({});
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    for (const c of r.classes) process.stdout.write(`  ${c.class.padEnd(34)} ${String(c.inputs).padStart(5)} inputs, ${String(c.rejectedByIntendedCheck).padStart(5)} rejected by "${c.check}"\n`);
    process.stdout.write(`inputs ${r.inputs}, rejected by the intended check ${r.rejectedByIntendedCheck}, mutatingCalls ${r.mutatingCalls}; valid control accepted: ${r.controlAccepted}\n`);
    for (const m of r.misses) process.stdout.write(`  MISS (${m.class}): ${m.input} → ${m.outcome}\n`);
  }
  return r.rejectedByIntendedCheck === r.inputs && r.mutatingCalls === 0 && r.controlAccepted ? 0 : 1;
}

/** Long: the list of bad-input classes, each a generator and its expected check: a table written as code. */
export async function fuzz(opts: { perClass?: number; seed?: number }) {
  const { perClass = 110, seed = 424242 } = opts;
  const clock = new VirtualClock();
  const { world, config } = buildWorld(APPS, clock);
  const transport = new SimTransport(simApi(world, NO_STEP_FUNCTIONS), clock);
  const deps: Deps = simDeps({ world, clock, config, transport, caller: 'fuzz', releaseStateMachineArn: '' });
  const ami = [...world.images.values()][0].imageId;
  // Public AMIs of other accounts, visible to this one (DescribeImages finds them by id).
  const foreign = Array.from({ length: 40 }, (_, i) => {
    const imageId = `ami-0f${String(i).padStart(15, '0')}`;
    world.images.set(imageId, { imageId, version: null, name: `public-${i}`, state: 'available', ownerId: `${900000000000 + i * 7919}` });
    return imageId;
  });
  const liveRepo = `${REGISTRY}/api`;
  const digest = (seed: string) => `@sha256:${hexId(seed, 64)}`;
  const container = 'app';
  let n = 0;
  /** A fresh version for each upload, valid under the key rules. */
  const nextVersion = () => `9.${Math.floor(n / 1000)}.${n++ % 1000}`;
  const upload = (app: string, version: string, body: string, checksum?: string) => {
    const key = `releases/${app}/${version}.json`;
    const v = world.s3.putObject(SIM_BUCKET, key, Buffer.from(body));
    if (checksum) v.sha256 = checksum;
    return s3Event(key, { 'version-id': v.versionId });
  };
  const version = fc.stringMatching(/^[0-9A-Za-z][0-9A-Za-z._-]{0,20}$/).filter((v) => !v.includes('..'));
  const notJson = fc.string({ maxLength: 200 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  });

  type Gen = () => unknown[];
  const sample = <T>(arb: fc.Arbitrary<T>, k: number) => fc.sample(arb, { seed: seed + k, numRuns: perClass });
  const classes: [string, string, Gen][] = [
    ['malformed S3 event', 'event shape', () => sample(fc.record({ source: fc.constant('aws.s3'), 'detail-type': fc.constant('Object Created'), detail: fc.oneof(fc.anything(), fc.record({ bucket: fc.anything() })) }), 1)],
    ['event for another bucket', 'artifact bucket', () => sample(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{2,40}$/), 2).map((b) => s3Event('releases/web/1.0.0.json', {}, `other-${b}`))],
    ['key outside releases/', 'key prefix', () => sample(fc.string({ minLength: 1, maxLength: 80 }).filter((k) => !k.startsWith('releases/') && !k.includes('%')), 3).map((k) => s3Event(k))],
    ['key with a broken %-escape', 'key encoding', () => sample(fc.tuple(fc.stringMatching(/^[a-z0-9/]{0,20}$/), fc.constantFrom('%', '%G', '%zz', '%E0%A4', '%1')), 21).map(([k, bad]) => s3Event(`releases/${k}${bad}.json`))],
    ['key with more or fewer parts', 'key parts', () => sample(fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 2, maxLength: 5 }).filter((p) => p.length !== 2), 4).map((p) => s3Event(`releases/${p.join('/')}.json`))],
    ['invalid app name in key', 'app name', () => sample(fc.string({ minLength: 1, maxLength: 20 }).filter((a) => !/^[a-z][a-z0-9-]{0,39}$/.test(a) && !a.includes('/') && !a.includes('%')), 5).map((a) => s3Event(`releases/${a}/1.0.0.json`))],
    ['unknown extension', 'key extension', () => sample(fc.constantFrom('.exe', '.jar', '.tar', '.gz', '.JSON', '.txt', '', '.rpm'), 6).map((e, i) => s3Event(`releases/web/1.0.${i}${e}`))],
    ['invalid version in key', 'key version', () => sample(fc.oneof(fc.string({ minLength: 65, maxLength: 80 }).filter((v) => !v.includes('/') && !v.includes('%')), fc.stringMatching(/^[-._][a-z0-9]{0,8}$/), fc.stringMatching(/^[0-9][a-z]{0,4}[ !$&*=?][0-9]{0,3}$/)), 7).map((v) => s3Event(`releases/web/${v}.json`))],
    ['app that is not configured', 'configured app', () => sample(fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/).filter((a) => !['web', 'shop', 'api'].includes(a)), 8).map((a) => s3Event(`releases/${a}/1.0.0.json`))],
    ['artifact of the wrong type', 'artifact type', () => sample(fc.tuple(version, fc.constantFrom(['web', '.tar.gz'], ['web', '.zip'], ['shop', '.json'], ['api', '.tgz'])), 9).map(([v, [a, e]]) => s3Event(`releases/${a}/${v}${e}`))],
    ['uploaded object that is gone', 'S3 lookup (event)', () => sample(version, 10).map((v) => s3Event(`releases/web/${v}.json`, { 'version-id': `gone-${v}` }))],
    ['manifest that is not JSON', 'manifest JSON', () => sample(notJson, 11).map((b) => upload('web', nextVersion(), b))],
    [
      'manifest against its schema',
      'manifest schema',
      () =>
        sample(fc.oneof(fc.record({ imageId: fc.string({ maxLength: 30 }) }), fc.record({ imageId: fc.constant(ami), extra: fc.anything().filter((x) => x !== undefined) }), fc.record({ imageId: fc.integer() })), 12).map((m) => {
          const v = nextVersion();
          return upload('web', v, JSON.stringify({ version: v, ...m }));
        }),
    ],
    ['manifest version differs from its key', 'manifest version', () => sample(version, 13).map((mv) => {
      const v = nextVersion();
      return upload('web', v, JSON.stringify({ version: mv === v ? `${mv}x` : mv, imageId: ami }));
    })],
    ['manifest that does not match its checksum', 'checksum', () => sample(fc.base64String({ minLength: 44, maxLength: 44 }), 14).map((sum) => {
      const v = nextVersion();
      return upload('web', v, JSON.stringify({ version: v, imageId: ami }), sum);
    })],
    ['manifest naming an AMI that does not exist', 'AMI exists', () => sample(fc.stringMatching(/^[0-9a-f]{17}$/), 15).map((hex) => {
      const v = nextVersion();
      return upload('web', v, JSON.stringify({ version: v, imageId: `ami-${hex}` }));
    })],
    [
      'manifest naming an unknown container',
      'known containers',
      () =>
        sample(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((c) => c !== container), 16).map((c) => {
          const v = nextVersion();
          return upload('api', v, JSON.stringify({ version: v, images: { [c]: `registry.example/api:${v}` } }));
        }),
    ],
    ['manifest naming another account\'s AMI', 'AMI owner', () => sample(fc.nat({ max: foreign.length - 1 }), 22).map((i) => {
      const v = nextVersion();
      return upload('web', v, JSON.stringify({ version: v, imageId: foreign[i] }));
    })],
    [
      'manifest image from another repository',
      'image repository',
      () =>
        sample(fc.tuple(fc.constantFrom('docker.io', 'ghcr.io', 'registry.example.com:5000', '999999999999.dkr.ecr.us-east-1.amazonaws.com', REGISTRY), fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((n) => n !== 'api')), 23).map(([registry, name]) => {
          const v = nextVersion();
          return upload('api', v, JSON.stringify({ version: v, images: { [container]: `${registry}/${name}${digest(v)}` } }));
        }),
    ],
    ['manifest image not pinned by digest', 'image digest', () => sample(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$/), 24).map((tag) => {
      const v = nextVersion();
      return upload('api', v, JSON.stringify({ version: v, images: { [container]: `${liveRepo}:${tag}` } }));
    })],
    [
      'manifest overriding a secret or a denied variable',
      'environment override',
      () =>
        sample(fc.oneof(fc.constant('DB_PASSWORD'), fc.constantFrom('NODE_OPTIONS', 'LD_PRELOAD', 'LD_LIBRARY_PATH'), fc.stringMatching(/^AWS_[A-Z0-9_]{1,20}$/), fc.stringMatching(/^FEATURE_[A-Z0-9_]{0,20}$/)), 25).map((name) => {
          const v = nextVersion();
          return upload('api', v, JSON.stringify({ version: v, images: { [container]: `${liveRepo}${digest(v)}` }, environment: { [container]: { [name]: 'x' } } }));
        }),
    ],
    ['hand-typed input of the wrong shape', 'hand-typed input', () => sample(fc.oneof(fc.anything().filter((x) => !isObj(x) || !('source' in x || 'action' in x)), fc.record({ app: fc.integer(), version: fc.string() }), fc.record({ app: fc.constant('web'), version: fc.string({ maxLength: 20 }), extra: fc.anything() })), 17)],
    ['hand-typed version with no artifact', 'S3 lookup (hand-typed)', () => sample(fc.tuple(fc.constantFrom('web', 'shop', 'api'), version), 18).map(([app, v]) => ({ app, version: `0.${v}` }))],
    ['hand-typed app that is not configured', 'configured app', () => sample(fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/).filter((a) => !['web', 'shop', 'api'].includes(a)), 19).map((app) => ({ app, version: '1.0.0' }))],
    [
      'alarm event that is not an alarm going off',
      'alarm event',
      () =>
        sample(
          fc.oneof(
            fc.record({ source: fc.constant('aws.cloudwatch'), 'detail-type': fc.constant('CloudWatch Alarm State Change'), detail: fc.anything() }),
            fc.record({ source: fc.constant('aws.cloudwatch'), 'detail-type': fc.constant('CloudWatch Alarm State Change'), detail: fc.record({ alarmName: fc.stringMatching(/^[a-z]{3,12}$/), state: fc.record({ value: fc.constantFrom('OK', 'INSUFFICIENT_DATA') }) }) }),
            fc.record({ source: fc.constant('aws.cloudwatch'), 'detail-type': fc.constant('CloudWatch Alarm State Change'), detail: fc.record({ alarmName: fc.stringMatching(/^unrelated-[a-z]{3,12}$/), state: fc.constant({ value: 'ALARM' }) }) }),
          ),
          20,
        ),
    ],
  ];

  const results: ClassResult[] = [];
  const misses: { class: string; input: string; outcome: string }[] = [];
  for (const [name, check, make] of classes) {
    const r: ClassResult = { class: name, check, inputs: 0, rejectedByIntendedCheck: 0 };
    for (const input of make()) {
      r.inputs++;
      const shown = (JSON.stringify(input) ?? String(input)).slice(0, 160);
      try {
        const res = await resolve(deps, input);
        await plan(deps, { release: res.release });
        misses.push({ class: name, input: shown, outcome: 'accepted' });
      } catch (err) {
        const message = (err as Error).message ?? '';
        if (err instanceof InvalidInput && CHECKS[check].test(message)) r.rejectedByIntendedCheck++;
        else {
          const other = err instanceof InvalidInput ? Object.entries(CHECKS).find(([, re]) => re.test(message))?.[0] : undefined;
          misses.push({ class: name, input: shown, outcome: `${err instanceof InvalidInput ? `rejected by ${other ? `"${other}"` : 'an unnamed check'}` : (err as Error).name}: ${message.slice(0, 160)}` });
        }
      }
    }
    results.push(r);
  }
  const mutatingCalls = transport.calls.filter(changesInfrastructure).length;
  // Control: a valid upload must pass both steps, or this harness would prove nothing.
  const good = world.s3.putObject(SIM_BUCKET, 'releases/web/2.0.0.json', Buffer.from(JSON.stringify({ version: '2.0.0', imageId: ami })));
  // And an ECS manifest within the app's policy: the live repository by digest, an ordinary variable.
  const goodEcs = world.s3.putObject(
    SIM_BUCKET,
    'releases/api/2.0.0.json',
    Buffer.from(JSON.stringify({ version: '2.0.0', images: { [container]: `${liveRepo}${digest('control')}` }, environment: { [container]: { LOG_LEVEL: 'debug' } } })),
  );
  let controlAccepted = false;
  try {
    const r = await resolve(deps, s3Event('releases/web/2.0.0.json', { 'version-id': good.versionId }));
    const e = await resolve(deps, s3Event('releases/api/2.0.0.json', { 'version-id': goodEcs.versionId }));
    controlAccepted = (await plan(deps, { release: r.release })).alreadyLive === false && (await plan(deps, { release: e.release })).alreadyLive === false;
  } catch {
    controlAccepted = false;
  }
  const inputs = results.reduce((k, c) => k + c.inputs, 0);
  return { inputs, rejectedByIntendedCheck: results.reduce((k, c) => k + c.rejectedByIntendedCheck, 0), mutatingCalls, controlAccepted, classes: results, misses: misses.slice(0, 30) };
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}
