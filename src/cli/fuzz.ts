import fc from 'fast-check';
import { InvalidInput } from '../core/errors.js';
import { loadScenario } from '../local/simulate.js';
import { simDeps } from '../local/deps.js';
import { changesInfrastructure, SimTransport } from '../local/transport.js';
import { NO_STEP_FUNCTIONS, simApi } from '../sim/api.js';
import { buildWorld, SIM_BUCKET } from '../sim/build.js';
import { VirtualClock } from '../sim/clock.js';
import type { Deps } from '../steps/deps.js';
import { plan } from '../steps/plan.js';
import { resolve } from '../steps/resolve.js';

// Bad input must end in a clear validation error and change nothing. Generated inputs go through
// the real Resolve and Plan steps (the only steps before the first change) on the simulator.

const APPS = loadScenario({
  name: 'fuzz',
  description: 'fuzz targets',
  apps: [
    { name: 'web', instances: 2, route: 'rule', initialVersion: '1.0.0' },
    { name: 'shop', instances: 2, artifact: 'bundle', route: 'rule', initialVersion: '1.0.0' },
    { name: 'api', kind: 'ecs', capacity: 'fargate', tasks: 2, route: 'rule', initialVersion: '1.0.0', greenlight: { retire: { keepWarmTasks: 1 } } },
  ],
  steps: [{ at: 0, uploadRaw: { key: 'fuzz/placeholder', body: 'x' } }],
});

const s3Event = (key: unknown, extra: Record<string, unknown> = {}) => ({
  version: '0',
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: SIM_BUCKET }, object: { key, 'version-id': 'v', size: 1, ...extra } },
});

export async function runFuzz(json: boolean): Promise<number> {
  const r = await fuzz({});
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    process.stdout.write(`inputs ${r.inputs}, rejected ${r.rejected}, mutatingCalls ${r.mutatingCalls}; valid control accepted: ${r.controlAccepted}\n`);
    for (const a of r.accepted) process.stdout.write(`  accepted (${a.kind}): ${a.input}\n`);
    for (const c of r.notValidationErrors) process.stdout.write(`  not a validation error (${c.kind}): ${c.input} → ${c.error}\n`);
  }
  return r.rejected === r.inputs && r.mutatingCalls === 0 && r.controlAccepted ? 0 : 1;
}

export async function fuzz(opts: { perClass?: number; seed?: number }) {
  const { perClass = 260, seed = 424242 } = opts;
  const clock = new VirtualClock();
  const { world, config } = buildWorld(APPS, clock);
  const transport = new SimTransport(simApi(world, NO_STEP_FUNCTIONS), clock);
  const deps: Deps = simDeps({ world, clock, config, transport, caller: 'fuzz', releaseStateMachineArn: '' });
  const ami = [...world.images.values()][0].imageId;
  let n = 0;
  const upload = (body: string, checksum?: string) => {
    const key = `releases/${n % 2 ? 'web' : 'api'}/9.${Math.floor(n / 1000)}.${n++ % 1000}.json`;
    const v = world.putObject(SIM_BUCKET, key, Buffer.from(body));
    if (checksum) v.sha256 = checksum;
    return s3Event(key, { 'version-id': v.versionId });
  };

  const badKeys = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ maxLength: 40 }).map((s) => `uploads/${s}`),
    fc.constantFrom('releases/web/../api/1.0.json', 'releases/web/./1.0.json', 'releases//1.0.json', 'releases/web/1.0/x.json', 'releases/web/1.0.exe', 'Releases/web/1.0.json'),
    fc.string({ minLength: 1, maxLength: 12 }).map((s) => `releases/nope-${s}/1.0.json`),
    fc.integer({ min: 1025, max: 4000 }).map((k) => `releases/web/${'1'.repeat(k)}.json`),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => `releases/wéb${s}/1.0.json`),
    fc.string({ minLength: 1, maxLength: 20 }).map((s) => `releases/web/${s}.json`), // valid-looking: the object does not exist
  );
  const validManifest = { version: 'X', imageId: ami };
  const badManifestBodies = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.anything().map((v) => JSON.stringify(v) ?? 'undefined'),
    fc.constantFrom('{}', '[]', 'null', '{"version":1,"imageId":2}', `{"imageId":"${ami}"}`, '{"version":"X"}'),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.anything(), { minKeys: 1, maxKeys: 4 }).map((extra) => JSON.stringify({ ...validManifest, ...extra, extraField: true })),
    fc.integer({ min: 17_000, max: 40_000 }).map((size) => JSON.stringify({ ...validManifest, description: 'x'.repeat(size) })),
    fc.constant(JSON.stringify({ version: 'X', imageId: 'ami-0000000000000dead' })),
    fc.constant(JSON.stringify({ version: 'X', images: { nosuchcontainer: 'repo/x:1' } })),
  );
  const handTyped = fc.oneof(
    fc.anything(),
    fc.record({ app: fc.string({ maxLength: 50 }), version: fc.string({ maxLength: 80 }) }),
    fc.record({ app: fc.constantFrom('web', 'api', 'shop'), version: fc.string({ maxLength: 80 }) }),
    fc.record({ app: fc.constantFrom('web', 'api'), action: fc.string({ maxLength: 20 }) }),
    fc.record({ app: fc.constantFrom('web'), version: fc.constant('1.0.0'), extra: fc.anything() }),
  );
  const badEvents = fc.oneof(
    fc.record({ source: fc.constantFrom('aws.s3', 'aws.ecr', 'aws.cloudwatch', 'aws.autoscaling'), 'detail-type': fc.string(), detail: fc.anything() }),
    fc.record({ source: fc.constant('aws.s3'), 'detail-type': fc.constant('Object Created'), detail: fc.anything() }),
    fc.string({ maxLength: 12 }).map((b) => ({ ...s3Event('releases/web/1.0.0.json'), detail: { bucket: { name: `other-${b}` }, object: { key: 'releases/web/1.0.0.json', 'version-id': 'v' } } })),
    fc.constant({ ...s3Event('releases/web/1.0.0.json'), detail: { bucket: { name: SIM_BUCKET }, object: { key: 'releases/web/1.0.0.json' } } }),
    fc.record({ source: fc.constant('aws.cloudwatch'), 'detail-type': fc.constant('CloudWatch Alarm State Change'), detail: fc.record({ alarmName: fc.string(), state: fc.record({ value: fc.string() }) }) }),
  );

  const classes: [string, () => unknown[]][] = [
    ['s3 key', () => fc.sample(badKeys, { seed, numRuns: perClass }).map((k) => s3Event(k))],
    [
      'manifest',
      () =>
        fc.sample(badManifestBodies, { seed: seed + 1, numRuns: perClass }).map((b, i) =>
          // Some carry a checksum that does not match their content (tampered objects).
          i % 10 === 0 ? upload(JSON.stringify({ version: '9.0.0', imageId: ami }), 'AAAAtamperedAAAA') : upload(b.replace(/"X"/g, '"9.9.9"')),
        ),
    ],
    ['hand-typed input', () => fc.sample(handTyped, { seed: seed + 2, numRuns: perClass }).filter((x) => !(isObj(x) && x.app === 'web' && x.version === '1.0.0' && Object.keys(x).length === 2))],
    ['EventBridge event', () => fc.sample(badEvents, { seed: seed + 3, numRuns: perClass })],
  ];

  const accepted: { kind: string; input: string }[] = [];
  const crashed: { kind: string; input: string; error: string }[] = [];
  let inputs = 0;
  let rejected = 0;
  for (const [kind, make] of classes) {
    for (const input of make()) {
      inputs++;
      try {
        const r = await resolve(deps, input);
        await plan(deps, { release: r.release });
        accepted.push({ kind, input: JSON.stringify(input)?.slice(0, 200) ?? String(input) });
      } catch (err) {
        if (err instanceof InvalidInput && err.message.length > 10) rejected++;
        else crashed.push({ kind, input: JSON.stringify(input)?.slice(0, 200) ?? String(input), error: `${(err as Error).name}: ${(err as Error).message}` });
      }
    }
  }
  const mutatingCalls = transport.calls.filter(changesInfrastructure).length;
  // Control: a valid upload must pass both steps, or this harness would prove nothing.
  const good = world.putObject(SIM_BUCKET, 'releases/web/2.0.0.json', Buffer.from(JSON.stringify({ version: '2.0.0', imageId: ami })));
  let controlAccepted = false;
  try {
    const r = await resolve(deps, s3Event('releases/web/2.0.0.json', { 'version-id': good.versionId }));
    controlAccepted = (await plan(deps, { release: r.release })).alreadyLive === false;
  } catch {
    controlAccepted = false;
  }
  return { inputs, rejected, mutatingCalls, controlAccepted, accepted: accepted.slice(0, 10), notValidationErrors: crashed.slice(0, 10) };
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}
