import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import './zod.js';
import type { AppConfig } from './config.js';
import { InvalidInput } from './errors.js';
import { APP_NAME, formatIssues, truncate } from './text.js';

// Artifact conventions. An uploader can only ever name an app and a version: every
// resource the release touches comes from the operator's config, never from the upload.

export const RELEASE_PREFIX = 'releases/';
/** 1-64 characters: letters, digits, '.', '_', '-', and optionally one '+' before build metadata (semver: 2026.11.26-rc.3+build.77). */
export const VERSION = /^(?=.{1,64}$)[0-9A-Za-z][0-9A-Za-z._-]*(?:\+[0-9A-Za-z][0-9A-Za-z.-]*)?$/;
export const MANIFEST_MAX_BYTES = 16 * 1024;
export const BUNDLE_EXTENSIONS = ['tar.gz', 'tgz', 'zip'] as const;
export const MANIFEST_EXTENSION = 'json';

export interface ReleaseKey {
  app: string;
  version: string;
  extension: string;
}

/** `releases/<app>/<version>.<ext>`; anything else is rejected with the expected form. */
export function parseReleaseKey(key: string): ReleaseKey {
  const shown = JSON.stringify(truncate(key, 120));
  if (key.length > 1024) throw new InvalidInput(`object key is ${key.length} characters; S3 keys and release keys are at most 1024`);
  if (!key.startsWith(RELEASE_PREFIX))
    throw new InvalidInput(`object key ${shown} is outside ${RELEASE_PREFIX}: upload to releases/<app>/<version>.json (AMI manifest) or releases/<app>/<version>.tar.gz|.tgz|.zip (bundle)`);
  const rest = key.slice(RELEASE_PREFIX.length);
  const parts = rest.split('/');
  if (parts.length !== 2)
    throw new InvalidInput(`object key ${shown} must have exactly two parts after ${RELEASE_PREFIX}: releases/<app>/<version>.<ext>`);
  const [app, file] = parts;
  if (!APP_NAME.test(app)) throw new InvalidInput(`app name ${JSON.stringify(truncate(app, 64))} in key ${shown} is invalid: use lowercase letters, digits and dashes`);
  const ext = [MANIFEST_EXTENSION, ...BUNDLE_EXTENSIONS].find((e) => file.endsWith('.' + e));
  if (!ext)
    throw new InvalidInput(`object key ${shown} has no recognised extension: use .json for an AMI manifest, or .tar.gz, .tgz or .zip for a bundle`);
  const version = file.slice(0, -(ext.length + 1));
  if (!VERSION.test(version) || version.includes('..'))
    throw new InvalidInput(`version ${JSON.stringify(truncate(version, 64))} in key ${shown} is invalid: 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, optionally with one '+' before build metadata (2026.11.26-rc.3+build.77)`);
  return { app, version, extension: ext };
}

/** What an app releases: an AMI manifest, an app bundle, or (ECS) an image manifest. */
export type ArtifactType = 'ami' | 'bundle' | 'image';
export function artifactTypeOf(app: AppConfig): ArtifactType {
  return app.kind === 'ecs' ? 'image' : app.artifact.type;
}

/** Which keys may hold `version` of an app of this artifact type (for hand-typed inputs). */
export function candidateKeys(app: string, version: string, type: ArtifactType): string[] {
  const exts = type === 'bundle' ? [...BUNDLE_EXTENSIONS] : [MANIFEST_EXTENSION];
  return exts.map((e) => `${RELEASE_PREFIX}${app}/${version}.${e}`);
}

export function checkKeyMatchesArtifactType(key: ReleaseKey, type: ArtifactType): void {
  if (type === 'image' && key.extension !== MANIFEST_EXTENSION)
    throw new InvalidInput(`app "${key.app}" releases container images: upload a manifest releases/${key.app}/${key.version}.json, not a .${key.extension} file`);
  if (type === 'ami' && key.extension !== MANIFEST_EXTENSION)
    throw new InvalidInput(`app "${key.app}" releases AMIs: upload a manifest releases/${key.app}/${key.version}.json, not a .${key.extension} bundle`);
  if (type === 'bundle' && key.extension === MANIFEST_EXTENSION)
    throw new InvalidInput(`app "${key.app}" releases bundles: upload releases/${key.app}/${key.version}.tar.gz (or .tgz, .zip), not a .json manifest`);
}

const AmiManifestSchema = z.strictObject({
  version: z.string().check(z.regex(VERSION, { message: "1-64 characters of letters, digits, '.', '_' and '-' (and one '+' before build metadata)" })),
  imageId: z.string().check(z.regex(/^ami-[0-9a-f]{8,17}$/, { message: 'must be an AMI id like ami-0123456789abcdef0' })),
  description: z.optional(z.string().check(z.maxLength(200))),
});
export type AmiManifest = z.infer<typeof AmiManifestSchema>;

export function parseAmiManifest(body: string, key: ReleaseKey): AmiManifest {
  if (Buffer.byteLength(body) > MANIFEST_MAX_BYTES)
    throw new InvalidInput(`manifest ${key.app}/${key.version}.json is ${Buffer.byteLength(body)} bytes; the limit is ${MANIFEST_MAX_BYTES}`);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new InvalidInput(`manifest releases/${key.app}/${key.version}.json is not valid JSON (${(e as Error).message}); expected {"version":"${key.version}","imageId":"ami-..."}`);
  }
  const parsed = AmiManifestSchema.safeParse(doc);
  if (!parsed.success)
    throw new InvalidInput(`manifest releases/${key.app}/${key.version}.json is invalid: ${formatIssues(parsed.error.issues)}; expected {"version":"${key.version}","imageId":"ami-..."}`);
  if (parsed.data.version !== key.version)
    throw new InvalidInput(`manifest says version "${parsed.data.version}" but its key says "${key.version}": they must match`);
  return parsed.data;
}

export function sha256Base64(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64');
}

// ---- user data for bundle apps ----

export const USER_DATA_PLACEHOLDERS = ['app', 'version', 'bucket', 'key', 'versionId', 's3Uri', 'sha256'] as const;
export type UserDataValues = Record<(typeof USER_DATA_PLACEHOLDERS)[number], string>;
const USER_DATA_MAX_BYTES = 16 * 1024; // EC2 limit on raw user data

export function templatePlaceholders(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]);
}

export function checkUserDataTemplate(template: string): string | null {
  const unknown = templatePlaceholders(template).filter((p) => !(USER_DATA_PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) return `unknown placeholder(s) ${unknown.map((p) => `{{${p}}}`).join(', ')}; allowed: ${USER_DATA_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ')}`;
  const used = new Set(templatePlaceholders(template));
  if (!used.has('versionId')) return 'the template must use {{versionId}} so that every instance fetches exactly the released object version';
  if (!used.has('s3Uri') && !(used.has('bucket') && used.has('key'))) return 'the template must use {{s3Uri}} (or {{bucket}} and {{key}})';
  return null;
}

/** Render the user data; values are shell-safe by construction (validated names, S3 ids). */
export function renderUserData(template: string, values: UserDataValues): string {
  const text = template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name: string) => {
    if (!Object.hasOwn(values, name)) throw new InvalidInput(`user data template: unknown placeholder {{${name}}}`);
    return values[name as keyof UserDataValues];
  });
  if (Buffer.byteLength(text) > USER_DATA_MAX_BYTES)
    throw new InvalidInput(`rendered user data is ${Buffer.byteLength(text)} bytes; EC2 allows ${USER_DATA_MAX_BYTES}`);
  return Buffer.from(text).toString('base64');
}
