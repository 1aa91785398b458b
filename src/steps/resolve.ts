import * as z from 'zod/mini';
import '../core/zod.js';
import { readHistory } from '../aws/dynamodb.js';
import { imageOwnership } from '../aws/ec2.js';
import { readRoute } from '../aws/elbv2.js';
import { findObject, getObjectText, headObject } from '../aws/s3.js';
import { AlarmEvent } from '../core/alarm-event.js';
import {
  artifactTypeOf,
  candidateKeys,
  checkKeyMatchesArtifactType,
  MANIFEST_MAX_BYTES,
  parseAmiManifest,
  parseReleaseKey,
  type ReleaseKey,
  sha256Base64,
  VERSION,
} from '../core/artifact.js';
import { type AppConfig, appConfig, type Colour, type RoutedAppConfig } from '../core/config.js';
import { parseImageManifest } from '../core/ecs.js';
import { AwsResourceNotFound, InvalidInput } from '../core/errors.js';
import { rollbackTarget } from '../core/history.js';
import { isRouted, refuseUnless, traitsOf } from '../core/kinds.js';
import { type Artifact, parseReleaseDescription, type Release, type Settings } from '../core/release.js';
import { colourWeights, liveColour, other } from '../core/route.js';
import { APP_NAME, formatIssues, truncate } from '../core/text.js';
import type { Deps } from './deps.js';
import { pinnedRelease } from './pinned.js';
import { routeOf, side } from './sides.js';

// Resolve: turn an S3 event or a hand-typed input into one exact, pinned artifact.
// Reads only. Any problem is an InvalidInput, which the state machine reports as rejected.

const len = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const S3Event = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: len(3, 63) }),
    object: z.object({
      key: len(1, 1024),
      'version-id': z.optional(len(1, 1024)),
      size: z.optional(z.number()),
      sequencer: z.optional(z.string()),
    }),
  }),
});

const Manual = z.strictObject({
  app: z.string().check(z.regex(APP_NAME, { message: 'lowercase letters, digits and dashes, e.g. "web"' })),
  version: z.string().check(z.regex(VERSION, { message: "1-64 characters of letters, digits, '.', '_' and '-', e.g. \"1.4.2\"" })),
  /** Release even if the same artifact content is already live. */
  force: z.optional(z.boolean()),
});

const Action = z.strictObject({
  app: z.string().check(z.regex(APP_NAME, { message: 'lowercase letters, digits and dashes, e.g. "web"' })),
  action: z.enum(['rollback', 'retire', 'prewarm'], { message: 'one of "rollback", "retire", "prewarm"' }),
  /** prewarm only. */
  capacity: z.optional(z.number().check(z.int(), z.gte(0), z.lte(1000))),
  /** rollback only: the version it undoes (nothing happens if that version no longer serves). */
  from: z.optional(z.string().check(z.regex(VERSION, { message: 'a version' }))),
  /** retire only: the colour meant (refused if it takes traffic when the retire runs). */
  colour: z.optional(z.enum(['blue', 'green'], { message: 'blue or green' })),
});

export interface Resolved {
  release: Release;
  settings: Settings;
}

/**
 * The Resolve step, and the Retarget step of a rollback: once a rollback holds the app's lock,
 * its target is read again (the colours may have changed while it waited, e.g. behind the
 * release it means to undo), and the state machine continues with that release.
 */
export async function resolveStep(deps: Deps, input: unknown): Promise<Resolved | Release> {
  if (isObject(input) && 'retarget' in input) return (await resolve(deps, input.retarget)).release;
  return resolve(deps, input);
}

export async function resolve(deps: Deps, input: unknown): Promise<Resolved> {
  if (isObject(input) && input.source === 'aws.s3') {
    const ev = S3Event.safeParse(input);
    if (!ev.success) throw new InvalidInput(`malformed S3 "Object Created" event: ${formatIssues(ev.error.issues)}`);
    const { bucket, object } = ev.data.detail;
    if (bucket.name !== deps.env.artifactBucket)
      throw new InvalidInput(`event is for bucket "${truncate(bucket.name, 63)}", not greenlight's artifact bucket "${deps.env.artifactBucket}"`);
    const key = decodeKey(object.key);
    const parsed = parseReleaseKey(key);
    const app = appConfig(deps.config, parsed.app);
    checkKeyMatchesArtifactType(parsed, artifactTypeOf(app));
    if (!object['version-id'])
      throw new InvalidInput(`the event has no object version id: enable versioning on ${bucket.name} so that every release pins one exact object`);
    return finish(deps, app, parsed, bucket.name, key, object['version-id'], 's3');
  }
  if (isObject(input) && input.source === 'aws.cloudwatch') {
    const ev = AlarmEvent.safeParse(input);
    if (!ev.success) throw new InvalidInput(`malformed "CloudWatch Alarm State Change" event: ${formatIssues(ev.error.issues)}`);
    const name = ev.data.detail.alarmName;
    if (ev.data.detail.state.value !== 'ALARM') throw new InvalidInput(`alarm ${name} is ${ev.data.detail.state.value}, not ALARM: nothing to replace`);
    // asg apps: an alarm the config names, on one instance → mark it Unhealthy.
    const owner = Object.entries(deps.config.apps).find(([, a]) => 'replaceOnAlarms' in a && a.replaceOnAlarms.includes(name));
    if (owner) {
      const instanceId = (ev.data.detail.configuration?.metrics ?? []).map((m) => m.metricStat?.metric.dimensions?.InstanceId).find((x) => !!x);
      if (!instanceId || !/^i-[0-9a-f]{8,17}$/.test(instanceId)) throw new InvalidInput(`alarm ${name} has no InstanceId dimension: greenlight cannot tell which instance to replace`);
      const r = withoutArtifact(deps, owner[1], owner[0], 'replace', 'alarm');
      return { ...r, release: { ...r.release, action: 'mark-unhealthy', instanceId } };
    }
    const m = /^greenlight-([a-z][a-z0-9-]{0,39})-status$/.exec(name);
    if (!m) throw new InvalidInput(`alarm ${name} is neither a greenlight status alarm (greenlight-<app>-status) nor in any app's replaceOnAlarms`);
    const app = appConfig(deps.config, m[1]);
    refuseUnless(app, m[1], 'replace');
    return withoutArtifact(deps, app, m[1], 'replace', 'alarm');
  }
  if (isObject(input) && 'action' in input) {
    const act = Action.safeParse(input);
    if (!act.success)
      throw new InvalidInput(`input must be {"app":"<app>","action":"rollback"}, {"app":"<app>","action":"retire"} or {"app":"<app>","action":"prewarm","capacity":<n>}: ${formatIssues(act.error.issues)}`);
    const app = appConfig(deps.config, act.data.app);
    if ((act.data.action === 'prewarm') !== (act.data.capacity !== undefined))
      throw new InvalidInput(act.data.action === 'prewarm' ? 'prewarm needs "capacity": the number of instances to keep warm, e.g. 3' : `"capacity" is only for prewarm`);
    if (act.data.action === 'prewarm') {
      refuseUnless(app, act.data.app, 'prewarm');
      const r = withoutArtifact(deps, app, act.data.app, 'prewarm', 'manual');
      return { ...r, release: { ...r.release, capacity: act.data.capacity } };
    }
    if (act.data.action === 'retire') {
      refuseUnless(app, act.data.app, 'retire');
      const r = withoutArtifact(deps, app, act.data.app, 'retire', 'manual');
      return act.data.colour ? { ...r, release: { ...r.release, colour: act.data.colour } } : r;
    }
    if (traitsOf(app).rollbackFrom === 'plan' || !isRouted(app)) return withoutArtifact(deps, app, act.data.app, 'rollback', 'manual');
    return previousRelease(deps, app, act.data.app, act.data.from);
  }
  const manual = Manual.safeParse(input);
  if (!manual.success)
    throw new InvalidInput(
      `input must be an S3 "Object Created" event, {"app":"<app>","version":"<version>"} or {"app":"<app>","action":"rollback"}: ${formatIssues(manual.error.issues)}`,
    );
  const app = appConfig(deps.config, manual.data.app);
  const bucket = deps.env.artifactBucket;
  for (const key of candidateKeys(manual.data.app, manual.data.version, artifactTypeOf(app))) {
    const found = await findObject(deps.clients.s3, bucket, key);
    if (found) {
      const r = await finish(deps, app, parseReleaseKey(key), bucket, key, found.versionId, 'manual');
      return manual.data.force ? { ...r, release: { ...r.release, force: true } } : r;
    }
  }
  throw new InvalidInput(
    `no artifact for ${manual.data.app} ${manual.data.version}: upload one of ${candidateKeys(manual.data.app, manual.data.version, artifactTypeOf(app))
      .map((k) => `s3://${bucket}/${k}`)
      .join(', ')}`,
  );
}

async function finish(deps: Deps, app: AppConfig, key: ReleaseKey, bucket: string, objectKey: string, versionId: string, trigger: Release['trigger']): Promise<Resolved> {
  const s3 = deps.clients.s3;
  let info: Awaited<ReturnType<typeof headObject>>;
  try {
    info = await headObject(s3, bucket, objectKey, versionId);
  } catch (err) {
    if (err instanceof AwsResourceNotFound) throw new InvalidInput(`artifact s3://${bucket}/${objectKey} version ${versionId} no longer exists`);
    throw err;
  }
  if (app.requireChecksum && !info.sha256)
    throw new InvalidInput(`${key.app} requires a SHA-256 checksum and s3://${bucket}/${objectKey} has none: upload with --checksum-algorithm SHA256`);
  const type = artifactTypeOf(app);
  const artifact: Artifact = { bucket, key: objectKey, versionId: info.versionId, sha256: info.sha256, type, ...(info.lastModified ? { uploadedAt: info.lastModified } : {}) };
  if (type !== 'bundle') {
    if (info.size > MANIFEST_MAX_BYTES) throw new InvalidInput(`manifest ${objectKey} is ${info.size} bytes; the limit is ${MANIFEST_MAX_BYTES}`);
    const body = await getObjectText(s3, bucket, objectKey, info.versionId);
    const digest = sha256Base64(body);
    if (info.sha256 && info.sha256 !== digest)
      throw new InvalidInput(`manifest ${objectKey} does not match its S3 SHA-256 checksum: the object is corrupt or was tampered with`);
    artifact.sha256 = digest;
    if (type === 'ami') {
      const manifest = parseAmiManifest(body, key);
      const owners = 'allowedImageOwners' in app ? app.allowedImageOwners : ['self'];
      const image = await imageOwnership(deps.clients.ec2, manifest.imageId, owners);
      if (!image.exists) throw new InvalidInput(`manifest ${objectKey} names ${manifest.imageId}, which does not exist in this account and region (or is not shared with it)`);
      if (!image.allowed)
        throw new InvalidInput(
          `manifest ${objectKey} names ${manifest.imageId}, owned by ${image.owner ?? 'another account'}, not by an allowed owner (apps.${key.app}.allowedImageOwners: ${owners.join(', ')}): add the owner's account id there if you trust its images`,
        );
      artifact.imageId = manifest.imageId;
    } else {
      const manifest = parseImageManifest(body, key);
      artifact.images = manifest.images;
      if (manifest.environment) artifact.environment = manifest.environment;
    }
  }
  return { release: { app: key.app, version: key.version, artifact, trigger, action: 'release' }, settings: settingsFor(app) };
}

/**
 * asg/ecs rollback: a release of the version the idle colour is pinned to (its launch template
 * version or task definition carries the release's description). While that colour is warm
 * this is quick; after it was retired, it is a re-release of the previous version.
 */
async function previousRelease(deps: Deps, app: RoutedAppConfig, name: string, from?: string): Promise<Resolved> {
  const weights = colourWeights(await readRoute(deps.clients.elbv2, routeOf(app)), app);
  let live = liveColour(weights);
  if (live === 'split') live = other(await stableColour(deps, name, weights));
  if (live === 'none') throw new InvalidInput(`cannot roll back ${name}: the route sends traffic to neither colour`);
  const idle = side(app, other(live));
  const [previousDescription, liveDescription] = await Promise.all([pinnedRelease(deps, app, idle.colour), pinnedRelease(deps, app, live)]);
  const pinned = parseReleaseDescription(previousDescription);
  const current = parseReleaseDescription(liveDescription);
  if (from && current?.version !== from)
    throw new InvalidInput(`nothing to roll back: this rollback undoes ${from}, and ${name} serves ${current?.version ?? 'another version'} now (already rolled back?)`);
  // The version that served before the live one (the history); the idle colour's pin may be a
  // release that failed since (rolled back, its colour left on the bad version).
  const target = current && !from ? rollbackTarget(await readHistory(deps.clients.dynamodb, deps.env.table, name, 50), current.version) : null;
  const previous = target && target.version !== pinned?.version ? { app: name, version: target.version, versionId: target.versionId ?? undefined } : pinned;
  if (!previous || previous.app !== name)
    throw new InvalidInput(`nothing to roll back to: ${name}'s idle colour (${idle.colour}) does not run a version greenlight released; release a version by name: {"app":"${name}","version":"<version>"}`);
  if (previous === pinned && previousDescription === liveDescription)
    throw new InvalidInput(`nothing to roll back to: both colours of ${name} are pinned to ${previous.version}; release a version by name: {"app":"${name}","version":"<version>"}`);
  const bucket = deps.env.artifactBucket;
  for (const key of candidateKeys(name, previous.version, artifactTypeOf(app))) {
    let versionId: string;
    try {
      versionId = (await headObject(deps.clients.s3, bucket, key, previous.versionId)).versionId;
    } catch (err) {
      if (err instanceof AwsResourceNotFound) continue;
      throw err;
    }
    const r = await finish(deps, app, parseReleaseKey(key), bucket, key, versionId, 'manual');
    // A rollback's own settings: no approval gate, no smoke test (it goes back to what served).
    return { release: { ...r.release, action: 'rollback' }, settings: settingsFor(app, 'rollback') };
  }
  throw new InvalidInput(`cannot roll back ${name} to ${previous.version}: its artifact (S3 version ${previous.versionId}) no longer exists in s3://${bucket}/releases/${name}/`);
}

function settingsFor(app: AppConfig, action: Release['action'] = 'release'): Settings {
  const keepMinutes = traitsOf(app).keepMinutes(app, action);
  return {
    pollSeconds: app.health.pollSeconds,
    timeoutSeconds: app.health.timeoutSeconds,
    keepWarmSeconds: Math.round(keepMinutes * 60),
    smokeTest: isRouted(app) && !!app.test && action === 'release',
    ...(isRouted(app) && app.approval && action === 'release'
      ? { approval: true, approvalTimeoutSeconds: Math.round(app.approval.timeoutMinutes * 60), approvalOnTimeout: app.approval.onTimeout }
      : { approval: false }),
  };
}

/** An eip rollback, a replacement or a retirement names no artifact: the plan finds its target. */
function withoutArtifact(deps: Deps, app: AppConfig, name: string, action: 'rollback' | 'replace' | 'retire' | 'prewarm', trigger: Release['trigger']): Resolved {
  const artifact: Artifact = { bucket: deps.env.artifactBucket, key: '', versionId: action, sha256: null, type: artifactTypeOf(app) };
  const version = action === 'rollback' ? 'previous' : action === 'retire' || action === 'prewarm' ? 'idle' : 'current';
  return { release: { app: name, version, artifact, trigger, action }, settings: settingsFor(app, action) };
}

/**
 * With traffic split (a shift was stopped half way), the colour to go back to: the one the last
 * successful release left live, from the history; without history, the one with more traffic.
 */
async function stableColour(deps: Deps, app: string, weights: { blue: number; green: number }): Promise<Colour> {
  const last = (await readHistory(deps.clients.dynamodb, deps.env.table, app, 20)).find((r) => r.outcome === 'released' && r.after?.colour);
  const colour = last?.after?.colour;
  if (colour === 'blue' || colour === 'green') return colour;
  return weights.blue >= weights.green ? 'blue' : 'green';
}

/**
 * The object key of an EventBridge S3 event. AWS's EventBridge examples show it as uploaded
 * (unlike S3 event notifications, documented URL-encoded with "+" for a space); release keys
 * never contain a space, so a "+" is always a "+" (semver build metadata) and %XX sequences are
 * decoded: every valid release key reads the same either way (src/sim/README.md).
 */
function decodeKey(key: string): string {
  if (!key.includes('%')) return key;
  try {
    return decodeURIComponent(key);
  } catch {
    throw new InvalidInput(`object key ${JSON.stringify(truncate(key, 120))} is not validly URL-encoded`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
