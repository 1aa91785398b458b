import { createHash } from 'node:crypto';
import { putStatusAlarm } from '../../aws/cloudwatch.js';
import {
  addressOf,
  associateAddress,
  createImage,
  deregisterImage,
  describeInstances,
  findImages,
  type InstanceInfo,
  instanceStatus,
  launchTemplateVersions,
  runInstance,
  startInstance,
  stopInstance,
  terminateInstance,
} from '../../aws/ec2.js';
import { type EipAppConfig, stackTags } from '../../core/config.js';
import { GreenNotHealthy, InvalidInput, LiveColourChanged, SmokeCheckFailed, TrafficNotShifted } from '../../core/errors.js';
import { nextGreenCheck } from '../../core/green-timing.js';
import { parseReleaseDescription, type Release, releaseDescription, type Settings } from '../../core/release.js';
import type { Deps } from '../deps.js';
import { checkUrl } from '../http.js';
import { tell } from '../record.js';
import type { Shift } from '../traffic.js';
import type { Assessment, EipPlan, Green, PreparedGreen } from '../types.js';
import { deadline, ensureLaunchTemplateVersion, userDataFor } from './asg.js';
import type { GreenInput, NextCheck, Retired, RetireInput, RollbackInput, RolledBack, SwitchInput } from './driver.js';

// Kind eip: one instance behind an Elastic IP (seed 000). Stamp a new server, check it, move the
// address (one call), keep the old server stopped for the rollback window, then terminate it.
// Which server is live is the address's association: no other record is kept.

const TAG_APP = 'greenlight:app';
const TAG_RELEASE = 'greenlight:release';
const TAG_LT_VERSION = 'greenlight:lt-version';
const TAG_REPLACES = 'greenlight:replaces';
/** image stamp: the AMI the server started from, and the bundle its user data applied. */
const TAG_IMAGE = 'greenlight:image';
const TAG_ARTIFACT = 'greenlight:artifact';

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

export async function planEip(deps: Deps, app: EipAppConfig, release: Release): Promise<EipPlan> {
  const { ec2 } = deps.clients;
  const addr = await addressOf(ec2, app.allocationId);
  if (!addr.instanceId) throw new InvalidInput(`Elastic IP ${addr.publicIp} (${app.allocationId}) is not associated with any instance: associate it with the live server first`);
  const [live] = await describeInstances(ec2, { instanceIds: [addr.instanceId] });
  const action = release.action ?? 'release';
  let idleInstance: string | undefined;
  if (action === 'rollback') {
    const stopped = (await describeInstances(ec2, { tags: { [TAG_APP]: release.app }, states: ['stopped', 'stopping'] })).filter((i) => i.instanceId !== live.instanceId);
    const previous = stopped.sort((a, b) => b.launchTime - a.launchTime)[0];
    if (!previous) throw new InvalidInput(`nothing to roll back to: ${release.app} has no stopped previous server (the rollback window has passed, or it was never released by greenlight)`);
    idleInstance = previous.instanceId;
  }
  return {
    kind: 'eip',
    address: { allocationId: app.allocationId, publicIp: addr.publicIp },
    live: {
      colour: 'blue',
      instanceId: live.instanceId,
      version: parseReleaseDescription(live.tags[TAG_RELEASE])?.version ?? null,
      pinned: await liveLaunchTemplateVersion(ec2, app, live.tags),
      release: live.tags[TAG_RELEASE] ?? '',
      units: 1,
      capacity: null,
    },
    idle: { colour: 'green', ...(idleInstance ? { instanceId: idleInstance } : {}) },
    needsCapacity: false,
    alreadyLive: action === 'release' && live.tags[TAG_RELEASE] === releaseDescription(release),
  };
}

/**
 * The launch-template version the live server runs, as a number (CreateLaunchTemplateVersion's
 * SourceVersion is a version number): greenlight's own tag; else the one EC2 puts on every
 * instance launched from a template (`aws:ec2launchtemplate:version`, when it is this template);
 * else the template's default version, resolved to its number.
 */
async function liveLaunchTemplateVersion(ec2: Deps['clients']['ec2'], app: EipAppConfig, tags: Record<string, string>): Promise<string> {
  if (tags[TAG_LT_VERSION]) return tags[TAG_LT_VERSION];
  if (tags['aws:ec2launchtemplate:version'] && (tags['aws:ec2launchtemplate:id'] ?? app.launchTemplateId) === app.launchTemplateId) return tags['aws:ec2launchtemplate:version'];
  const [v] = await launchTemplateVersions(ec2, app.launchTemplateId, ['$Default']);
  if (!v) throw new InvalidInput(`launch template ${app.launchTemplateId} (launchTemplateId) has no default version: check the id in greenlight.config.yml`);
  return v.versionNumber;
}

/** The instance this execution brings up, if it exists already (a re-run converges on it). */
async function findGreen(deps: Deps, release: Release, plan: EipPlan): Promise<InstanceInfo | undefined> {
  if (plan.idle.instanceId) return (await describeInstances(deps.clients.ec2, { instanceIds: [plan.idle.instanceId] }))[0];
  const tags: Record<string, string> = release.action === 'replace' ? { [TAG_REPLACES]: plan.live.instanceId! } : { [TAG_RELEASE]: releaseDescription(release) };
  const found = await describeInstances(deps.clients.ec2, { tags: { [TAG_APP]: release.app, ...tags }, states: ['pending', 'running'] });
  return found.find((i) => i.instanceId !== plan.live.instanceId);
}

export async function prepareGreenEip(deps: Deps, app: EipAppConfig, release: Release, settings: Settings, plan: EipPlan): Promise<PreparedGreen> {
  const { ec2 } = deps.clients;
  const base = { desired: 1, deadline: deadline(deps, settings), ready: false };
  if (release.action === 'rollback') {
    const id = plan.idle.instanceId!;
    const [i] = await describeInstances(ec2, { instanceIds: [id] });
    if (i.state === 'stopped') await startInstance(ec2, id);
    return { ...base, pinned: id, instanceId: id };
  }
  const existing = await findGreen(deps, release, plan);
  if (existing) return { ...base, pinned: existing.tags[TAG_LT_VERSION] ?? existing.instanceId, instanceId: existing.instanceId };
  if (release.action === 'replace') {
    // The last good release: the live server's launch-template version, and for a stamped
    // server its image and the bundle its user data applied.
    const [live] = await describeInstances(ec2, { instanceIds: [plan.live.instanceId!] });
    const image = live.tags[TAG_IMAGE];
    const bundle = live.tags[TAG_ARTIFACT];
    const i = await runInstance(ec2, {
      launchTemplateId: app.launchTemplateId,
      version: plan.live.pinned,
      ...(image ? { imageId: image } : {}),
      ...(image && bundle && app.artifact.type === 'bundle' ? { userData: userDataFor(app.artifact.userDataTemplate, releaseFromTags(release, live.tags, deps.env.artifactBucket)) } : {}),
      clientToken: hash(`replace ${plan.live.instanceId}`).slice(0, 64),
      tags: { ...stackTags(deps.config), ...pick(live.tags, [TAG_APP, TAG_RELEASE, TAG_LT_VERSION, TAG_IMAGE, TAG_ARTIFACT]), [TAG_REPLACES]: plan.live.instanceId! },
    });
    return { ...base, pinned: plan.live.pinned, instanceId: i.instanceId };
  }
  if (app.stamp === 'image') {
    // Stamp the live server: an image of it, the new bundle applied at boot (launched once available).
    // AMI names take no '+' (build metadata): it becomes '_'; the exact version is in the tags.
    const name = `greenlight-${release.app}-${release.version.replace(/\+/g, '_')}-${hash(releaseDescription(release)).slice(0, 8)}`;
    const [image] = await findImages(ec2, { name });
    const imageId =
      image?.imageId ??
      (await createImage(ec2, { instanceId: plan.live.instanceId!, name, noReboot: app.noReboot, tags: { ...stackTags(deps.config), [TAG_APP]: release.app, [TAG_RELEASE]: releaseDescription(release) } }));
    return { ...base, pinned: imageId, instanceId: null };
  }
  const version = await ensureLaunchTemplateVersion(deps, app, release, plan.live.pinned, [plan.live.pinned]);
  const i = await runInstance(ec2, {
    launchTemplateId: app.launchTemplateId,
    version,
    clientToken: hash(releaseDescription(release)).slice(0, 64),
    tags: { ...stackTags(deps.config), [TAG_APP]: release.app, [TAG_RELEASE]: releaseDescription(release), [TAG_LT_VERSION]: version },
  });
  return { ...base, pinned: version, instanceId: i.instanceId };
}

function httpCheck(deps: Deps, ip: string, check: EipAppConfig['health']['check']): Promise<string | null> {
  return checkUrl(deps, `http://${ip}:${check.port}`, check);
}

export async function assessEip(deps: Deps, app: EipAppConfig, release: Release, plan: EipPlan, green: Green): Promise<Assessment> {
  const { ec2 } = deps.clients;
  const not = (detail: string, instanceId = green.instanceId ?? null): Assessment => ({ ready: false, desired: 1, inService: 0, healthy: 0, failedTasks: 0, detail, instanceId });
  const id = green.instanceId;
  if (!id) {
    const [image] = await findImages(ec2, { tags: { [TAG_APP]: release.app, [TAG_RELEASE]: releaseDescription(release) } });
    if (image?.state !== 'available') return not(`image ${green.pinned} is ${image?.state ?? 'missing'}`);
    const i = await runInstance(ec2, {
      launchTemplateId: app.launchTemplateId,
      version: plan.live.pinned,
      imageId: image.imageId,
      userData: app.artifact.type === 'bundle' ? userDataFor(app.artifact.userDataTemplate, release) : undefined,
      clientToken: hash(`${releaseDescription(release)} ${image.imageId}`).slice(0, 64),
      tags: {
        ...stackTags(deps.config),
        [TAG_APP]: release.app,
        [TAG_RELEASE]: releaseDescription(release),
        [TAG_LT_VERSION]: plan.live.pinned,
        [TAG_IMAGE]: image.imageId,
        [TAG_ARTIFACT]: release.artifact.key,
      },
    });
    return not('launched from the stamped image', i.instanceId);
  }
  const status = await instanceStatus(ec2, id);
  if (status.state === 'stopped' && release.action === 'rollback') {
    await startInstance(ec2, id); // it was still stopping when the rollback began
    return not('starting');
  }
  if (status.state !== 'running' || status.instance !== 'ok' || status.system !== 'ok')
    return not(`${id} is ${status.state}, status checks instance ${status.instance} / system ${status.system}`);
  const [i] = await describeInstances(ec2, { instanceIds: [id] });
  const problem = await httpCheck(deps, i.privateIp ?? '', app.health.check);
  if (problem) return not(`${id} health check: ${problem}`);
  return { ready: true, desired: 1, inService: 1, healthy: 1, failedTasks: 0, detail: `${id} running, status checks ok, health check passed`, instanceId: id };
}

/** Smoke checks, then one AssociateAddress (AllowReassociation), read back. */
export async function switchEip(deps: Deps, app: EipAppConfig, release: Release, plan: EipPlan, green: Green) {
  const { ec2 } = deps.clients;
  const at = () => deps.now().toISOString();
  const addr = await addressOf(ec2, app.allocationId);
  if (addr.instanceId === green.instanceId) return { switched: true, alreadyDone: true, at: at() };
  if (addr.instanceId !== plan.live.instanceId) throw new LiveColourChanged(`the Elastic IP is on ${addr.instanceId}, not on ${plan.live.instanceId}: somebody else moved it; not switching`);
  const a = await assessEip(deps, app, release, plan, green);
  if (!a.ready) throw new GreenNotHealthy(`the new server is not healthy (${a.detail}): not switching`);
  const [i] = await describeInstances(ec2, { instanceIds: [green.instanceId!] });
  for (const check of app.smoke) {
    const problem = await httpCheck(deps, i.privateIp ?? '', check);
    if (problem) throw new SmokeCheckFailed(`smoke check failed on ${green.instanceId}: ${problem}`);
  }
  await associateAddress(ec2, app.allocationId, green.instanceId!);
  if ((await addressOf(ec2, app.allocationId)).instanceId !== green.instanceId)
    throw new TrafficNotShifted(`AssociateAddress returned but the read-back does not show ${addr.publicIp} on ${green.instanceId} yet`);
  if (app.replaceOnStatusCheckFailure) await putStatusAlarm(deps.clients.cloudwatch, release.app, green.instanceId!);
  return { switched: true, alreadyDone: false, at: at() };
}

/** warm: stop the old server (the rollback target); zero: terminate it and prune images. */
export async function retireEip(deps: Deps, app: EipAppConfig, release: Release, plan: EipPlan, phase: 'warm' | 'zero') {
  const { ec2 } = deps.clients;
  const old = plan.live.instanceId!;
  const addr = await addressOf(ec2, app.allocationId);
  if (!addr.instanceId || addr.instanceId === old) throw new LiveColourChanged(`the Elastic IP is on ${addr.instanceId ?? 'nothing'}: not retiring ${old}`);
  const [i] = await describeInstances(ec2, { instanceIds: [old] });
  const terminateNow = phase === 'zero' || release.action === 'replace'; // a faulty server is not a rollback target
  let changed = false;
  if (terminateNow && i && i.state !== 'terminated' && i.state !== 'shutting-down') {
    await terminateInstance(ec2, old);
    changed = true;
  } else if (!terminateNow && i?.state === 'running') {
    await stopInstance(ec2, old);
    changed = true;
  }
  let pruned = 0;
  if (phase === 'zero') {
    // Never the image the live server (and so its replacement) starts from.
    const [live] = await describeInstances(ec2, { instanceIds: [addr.instanceId] });
    const images = (await findImages(ec2, { tags: { [TAG_APP]: release.app } })).sort((a, b) => b.created - a.created);
    for (const img of images.filter((x) => x.imageId !== live?.tags[TAG_IMAGE]).slice(Math.max(0, app.retire.keepImages - 1))) {
      await deregisterImage(ec2, img.imageId);
      pruned++;
    }
  }
  return { desired: terminateNow ? 0 : 1, changed, imagesPruned: pruned };
}

/** The address back on the old server if it moved; the new server terminated (a rollback's is stopped again). */
export async function rollbackEip(deps: Deps, app: EipAppConfig, release: Release, plan: EipPlan) {
  const { ec2 } = deps.clients;
  const addr = await addressOf(ec2, app.allocationId);
  let trafficRestored = false;
  if (plan.live.instanceId && addr.instanceId !== plan.live.instanceId) {
    await associateAddress(ec2, app.allocationId, plan.live.instanceId);
    if ((await addressOf(ec2, app.allocationId)).instanceId !== plan.live.instanceId) throw new TrafficNotShifted('rollback: the Elastic IP is not back on the old server yet');
    trafficRestored = true;
  }
  const green = await findGreen(deps, release, plan);
  let greenScaledToZero = false;
  if (green && !app.onFailure.keepGreenForInspection) {
    if (release.action === 'rollback') {
      if (green.state === 'running') await stopInstance(ec2, green.instanceId);
    } else await terminateInstance(ec2, green.instanceId);
    greenScaledToZero = true;
  }
  return { trafficRestored, greenScaledToZero };
}

function pick(tags: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => tags[k] !== undefined).map((k) => [k, tags[k]]));
}

/** The live server's release, from its tags (to re-render its user data for a replacement). */
function releaseFromTags(release: Release, tags: Record<string, string>, bucket: string): Release {
  const r = parseReleaseDescription(tags[TAG_RELEASE]);
  return {
    app: release.app,
    version: r?.version ?? 'unknown',
    trigger: release.trigger,
    artifact: { bucket, key: tags[TAG_ARTIFACT] ?? '', versionId: r?.versionId ?? '', sha256: null, type: 'bundle' },
  };
}

// ---- the driver (./driver.ts): what the release's steps call for an eip app ----

export function plan(deps: Deps, app: EipAppConfig, release: Release): Promise<EipPlan> {
  if ((release.action ?? 'release') === 'retire') throw new InvalidInput('retire is for asg and ecs apps');
  return planEip(deps, app, release);
}

export function prepareGreen(deps: Deps, app: EipAppConfig, input: GreenInput<EipPlan>): Promise<PreparedGreen> {
  return prepareGreenEip(deps, app, input.release, input.settings, input.plan);
}

export function assess(deps: Deps, app: EipAppConfig, input: GreenInput<EipPlan> & { green: Green }): Promise<Assessment> {
  return assessEip(deps, app, input.release, input.plan, input.green);
}

/** No target group: the server's checks are polled. */
export async function nextCheck(deps: Deps, _app: EipAppConfig, input: GreenInput<EipPlan> & { green: Green }, a: Assessment): Promise<NextCheck> {
  const view = { now: deps.now().getTime(), pollSeconds: input.settings.pollSeconds, deadline: Date.parse(input.green.deadline), desired: a.desired, inService: a.inService ?? 0 };
  return nextGreenCheck({ ...view, healthCheck: null, lastRegisteredAt: null });
}

/** The address moves to the new server: one step, all of the traffic. */
export async function switchTraffic(deps: Deps, app: EipAppConfig, input: SwitchInput<EipPlan>): Promise<Shift> {
  const { release, plan, green } = input;
  const at = deps.now().toISOString();
  await switchEip(deps, app, release, plan, green);
  if (input.execution) await tell(deps, { event: 'traffic-shifted', release, execution: input.execution, extra: { percent: 100 } });
  return { step: 1, percent: 100, bakeSeconds: 0, done: true, at };
}

/** Two steps: stop the old server (the rollback target), terminate it after the window. */
export async function retire(deps: Deps, app: EipAppConfig, input: RetireInput<EipPlan>): Promise<Retired> {
  const k = input.phase === 'zero' ? -1 : (input.step ?? 0);
  const phase = k === 0 ? 'warm' : 'zero';
  const r = await retireEip(deps, app, input.release, input.plan, phase);
  return { colour: input.plan.live.colour, phase, ...r, heldSince: null, step: k + 1, done: phase === 'zero', waitSeconds: input.settings?.keepWarmSeconds ?? 0 };
}

export async function rollback(deps: Deps, app: EipAppConfig, input: RollbackInput<EipPlan>): Promise<RolledBack> {
  return { reason: input.reason, liveColour: input.plan.live.colour, ...(await rollbackEip(deps, app, input.release, input.plan)) };
}
