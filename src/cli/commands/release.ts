import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { imageOwnership } from '../../aws/ec2.js';
import { ecrImageExists } from '../../aws/ecr.js';
import { putObject } from '../../aws/s3.js';
import { listExecutions } from '../../aws/sfn.js';
import { artifactTypeOf, checkKeyMatchesArtifactType, parseAmiManifest, parseReleaseKey } from '../../core/artifact.js';
import type { AppConfig } from '../../core/config.js';
import { parseEcrImage, parseImageManifest } from '../../core/ecs.js';
import { executionNameFor } from '../../core/release.js';
import type { Account } from '../account.js';
import { UsageError } from '../scenarios.js';
import { app, follow, type Result, startAndFollow } from './shared.js';

// `greenlight release <app> <file|s3-uri>`: the artifact checked against the app, uploaded, and the
// release it starts followed.

export async function release(account: Account, name: string, source: string, opts: { version?: string; wait: boolean }): Promise<Result> {
  const a = app(account, name);
  const bucket = account.names.bucket;
  if (source.startsWith('s3://')) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
    if (!m || m[1] !== bucket) throw new UsageError(`${source} is not in greenlight's artifact bucket ${bucket}: upload the file instead (greenlight release ${name} <file>)`);
    const key = parseReleaseKey(m[2]);
    if (key.app !== name) throw new UsageError(`${source} is a release of ${key.app}, not ${name}`);
    await account.beforeChange?.();
    return startAndFollow(account, name, { app: name, version: key.version }, opts.wait);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch (err) {
    throw new UsageError(`cannot read ${source}: ${(err as Error).message}`);
  }
  const { key, ext } = await checkedArtifact(account, name, a, source, bytes.toString('utf8'), opts.version);
  const t0 = account.now().getTime();
  // A bundle goes up byte for byte (a .tar.gz read as text would be corrupted); a manifest as JSON.
  await putObject(account.clients.s3, bucket, key, ext === '.json' ? bytes.toString('utf8') : bytes, ext === '.json' ? 'application/json' : 'application/octet-stream');
  if (!opts.wait) return { code: 0, text: `uploaded s3://${bucket}/${key}\n`, json: { uploaded: `s3://${bucket}/${key}` } };
  // The upload starts the release (S3 → EventBridge → dispatch); find its execution by name.
  const label = executionNameFor({ bucket, key }).replace(/-[0-9a-f]{16}$/, '');
  for (let waited = 0; waited <= 120; waited += 2) {
    const found = (await listExecutions(account.clients.sfn, account.names.releaseStateMachineArn)).find(
      (e) => e.name.startsWith(`${label}-`) && (e.startDate?.getTime() ?? 0) >= t0 - 1000,
    );
    if (found) return follow(account, name, found.executionArn, `uploaded s3://${bucket}/${key}\n`);
    await account.sleep(2);
  }
  return { code: 1, text: `uploaded s3://${bucket}/${key}, but no release execution started within 120 s: check the EventBridge rule and the dispatch function's logs\n`, json: { uploaded: key, execution: null } };
}

/**
 * What `release` uploads, checked first: the file's type against the app's artifact, the
 * manifest against its schema and the version, the AMI it names against the account. A check
 * that fails uploads nothing (exit 2, the fix named).
 */
async function checkedArtifact(account: Account, name: string, a: AppConfig, source: string, body: string, version?: string): Promise<{ key: string; ext: string }> {
  const type = artifactTypeOf(a);
  const fileExt = /(\.tar\.gz|\.tgz|\.zip|\.json)$/.exec(source)?.[1];
  if (type === 'bundle' && fileExt === '.json')
    throw new UsageError(`app "${name}" releases bundles (.tar.gz, .tgz or .zip), not a JSON manifest: give the bundle file; nothing was uploaded`);
  if (type !== 'bundle' && fileExt && fileExt !== '.json')
    throw new UsageError(`app "${name}" releases ${type === 'ami' ? 'AMIs' : 'container images'}: give a JSON manifest (${type === 'ami' ? '{"version","imageId"}' : '{"version","images"}'}), not a ${fileExt} file; nothing was uploaded`);
  const ext = type === 'bundle' ? (fileExt ?? '.tar.gz') : '.json';
  const key = `releases/${name}/${version ?? versionOf(source, body, ext)}${ext}`;
  try {
    const parsed = parseReleaseKey(key);
    checkKeyMatchesArtifactType(parsed, type);
    // The same checks Resolve makes in Lambda, made here before anything is written: first
    // those of the file itself (no AWS call), then the AMI it names (a read).
    const imageId = type === 'ami' ? parseAmiManifest(body, parsed).imageId : undefined;
    const images = type === 'image' ? parseImageManifest(body, parsed).images : {};
    await account.beforeChange?.();
    await checkImagesExist(account, name, source, images);
    if (imageId) {
      const owners = 'allowedImageOwners' in a ? a.allowedImageOwners : ['self'];
      const image = await imageOwnership(account.clients.ec2, imageId, owners);
      if (!image.exists) throw new UsageError(`${source} names ${imageId}, which does not exist in this account and region (or is not shared with it); nothing was uploaded`);
      if (!image.allowed) throw new UsageError(`${source} names ${imageId}, owned by ${image.owner ?? 'another account'}, not by an allowed owner (apps.${name}.allowedImageOwners); nothing was uploaded`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if ((err as Error).name !== 'InvalidInput') throw err;
    throw new UsageError(`${(err as Error).message}; nothing was uploaded (--version <version> names the release)`);
  }
  return { key, ext };
}

/**
 * Each image a manifest names, in ECR (the account's registry in the account's region): does it
 * exist? Images of other registries (Docker Hub, ghcr.io, ECR Public) or other regions are not
 * checked, and the command says so; the release's own pull check then finds a missing one.
 */
async function checkImagesExist(account: Account, name: string, source: string, images: Record<string, string>): Promise<void> {
  const region = await account.clients.ecr.config.region();
  for (const [container, image] of Object.entries(images)) {
    const ref = parseEcrImage(image);
    if (!ref || ref.region !== region) {
      process.stderr.write(`note: ${container}'s image ${image} is not in this region's ECR: not checked before the upload (ECS reports a failed pull)\n`);
      continue;
    }
    const found = await ecrImageExists(account.clients.ecr, ref);
    if (!found.exists) throw new UsageError(`${source} names ${image} for container ${container} of ${name}, which does not exist (${found.why}); push it first; nothing was uploaded`);
  }
}

function versionOf(source: string, body: string, ext: string): string {
  if (ext === '.json') {
    try {
      const v = JSON.parse(body).version;
      if (typeof v === 'string') return v;
    } catch {
      /* the file name decides */
    }
  }
  const file = basename(source);
  const m = /^(.+?)(\.json|\.tar\.gz|\.tgz|\.zip)$/.exec(file);
  if (!m) throw new UsageError(`cannot tell the version of ${file}: name it <version>${ext} or pass --version <version>`);
  return m[1];
}
