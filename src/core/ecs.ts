import * as z from 'zod/mini';
import './zod.js';
import type { ReleaseKey } from './artifact.js';
import { MANIFEST_MAX_BYTES, VERSION } from './artifact.js';
import { InvalidInput } from './errors.js';
import { formatIssues } from './text.js';

// Pure decisions for ECS apps: the image manifest, the task definition a release registers,
// and whether a service has settled. How many tasks a service runs when its count follows its
// Auto Scaling group (ECS on EC2 capacity) is decided in ./capacity.ts, for src/steps/capacity.ts.

const IMAGE = /^[a-z0-9][a-z0-9._/:-]{0,254}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

const ImageManifestSchema = z.strictObject({
  version: z.string().check(z.regex(VERSION, { message: "1-64 characters of letters, digits, '.', '_' and '-' (and one '+' before build metadata)" })),
  /** container name → image, e.g. {"api": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:..."} */
  images: z.record(z.string().check(z.minLength(1), z.maxLength(255)), z.string().check(z.regex(IMAGE, { message: 'must be an image reference (repository[:tag][@sha256:digest])' }))),
  /** container name → environment variables to set or override (visible in the execution history: no secrets). */
  environment: z.optional(
    z.record(z.string(), z.record(z.string(), z.string().check(z.maxLength(4096)))).check(
      z.superRefine((env, ctx) => {
        for (const [container, vars] of Object.entries(env))
          for (const name of Object.keys(vars))
            if (!ENV_NAME.test(name))
              ctx.addIssue({ code: 'custom', path: [container, name], message: 'must be an environment variable name (letters, digits, _; not starting with a digit)', input: name });
      }),
    ),
  ),
  description: z.optional(z.string().check(z.maxLength(200))),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

export function parseImageManifest(body: string, key: ReleaseKey): ImageManifest {
  if (Buffer.byteLength(body) > MANIFEST_MAX_BYTES) throw new InvalidInput(`manifest ${key.app}/${key.version}.json is ${Buffer.byteLength(body)} bytes; the limit is ${MANIFEST_MAX_BYTES}`);
  const expected = `expected {"version":"${key.version}","images":{"<container>":"<image>"},"environment":{"<container>":{"NAME":"value"}}}`;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new InvalidInput(`manifest releases/${key.app}/${key.version}.json is not valid JSON (${(e as Error).message}); ${expected}`);
  }
  const parsed = ImageManifestSchema.safeParse(doc);
  if (!parsed.success) throw new InvalidInput(`manifest releases/${key.app}/${key.version}.json is invalid: ${formatIssues(parsed.error.issues)}; ${expected}`);
  if (parsed.data.version !== key.version) throw new InvalidInput(`manifest says version "${parsed.data.version}" but its key says "${key.version}": they must match`);
  if (!Object.keys(parsed.data.images).length) throw new InvalidInput(`manifest releases/${key.app}/${key.version}.json names no image: ${expected}`);
  return parsed.data;
}

// ---- task definitions ----

export interface KeyValue {
  name?: string;
  value?: string;
}
export interface ContainerDefinition {
  name?: string;
  image?: string;
  environment?: KeyValue[];
  secrets?: { name?: string; valueFrom?: string }[];
  [k: string]: unknown;
}
export interface TaskDefinition {
  family?: string;
  containerDefinitions?: ContainerDefinition[];
  [k: string]: unknown;
}

/** Fields RegisterTaskDefinition accepts; everything else Describe returns is read-only. */
export const REGISTRABLE_FIELDS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const;

/**
 * The task definition for green: the live one, with only the manifest's images and environment
 * changed. Roles, ports, logging, secrets, sizes and everything else are carried over as is.
 */
/** What an uploader's manifest may change (the app's config: images, deniedEnvironment). */
export interface ManifestPolicy {
  repositories: string[];
  requireDigest: boolean;
  deniedEnvironment: string[];
}

/** Names no manifest may set, whatever the config: they change how every process in the container runs, or the credentials it uses. */
const ALWAYS_DENIED_ENV = ['AWS_*', 'NODE_OPTIONS', 'LD_PRELOAD', 'LD_LIBRARY_PATH'];

/** An image reference without its tag or digest: registry/name. */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

const matchesName = (name: string, pattern: string) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);

/** The manifest's images and environment against the app's policy and the live containers. */
function checkManifestPolicy(containers: ContainerDefinition[], images: Record<string, string>, environment: Record<string, Record<string, string>>, policy: ManifestPolicy, app: string) {
  for (const [name, image] of Object.entries(images)) {
    const live = containers.find((c) => c.name === name)!;
    const allowed = policy.repositories.length ? policy.repositories : [repositoryOf(live.image ?? '')];
    const repo = repositoryOf(image);
    if (!allowed.includes(repo))
      throw new InvalidInput(
        `the manifest's image ${image} for container ${name} is from repository ${repo}, not ${allowed.join(' or ')}: push it there, or list its repository in apps.${app}.images.repositories`,
      );
    if (policy.requireDigest && !/@sha256:[0-9a-f]{64}$/.test(image))
      throw new InvalidInput(`the manifest's image ${image} for container ${name} is not pinned by digest (apps.${app}.images.requireDigest): name it as ${repo}@sha256:<digest>`);
  }
  for (const [name, env] of Object.entries(environment)) {
    const live = containers.find((c) => c.name === name)!;
    const secrets = (live.secrets ?? []).map((x) => x.name ?? '');
    for (const key of Object.keys(env)) {
      if (secrets.includes(key))
        throw new InvalidInput(`the manifest sets environment variable ${key} of container ${name}, which is one of the task's secrets: a manifest cannot shadow a secret; change it in Secrets Manager or SSM`);
      const rule = [...ALWAYS_DENIED_ENV, ...policy.deniedEnvironment].find((p) => matchesName(key, p));
      if (rule)
        throw new InvalidInput(
          `the manifest sets environment variable ${key} of container ${name}, which manifests may not set (${ALWAYS_DENIED_ENV.includes(rule) ? `greenlight never lets one set ${rule}` : `apps.${app}.deniedEnvironment: ${rule}`}): set it in the task definition`,
        );
    }
  }
}

export function deriveTaskDefinition(live: TaskDefinition, images: Record<string, string>, environment: Record<string, Record<string, string>> = {}, policy?: ManifestPolicy & { app: string }): TaskDefinition {
  const containers = live.containerDefinitions ?? [];
  const names = new Set(containers.map((c) => c.name));
  const unknown = [...Object.keys(images), ...Object.keys(environment)].filter((n) => !names.has(n));
  if (unknown.length)
    throw new InvalidInput(`the manifest names container(s) ${[...new Set(unknown)].join(', ')}, which the live task definition ${live.family} does not have (it has ${[...names].join(', ')})`);
  if (policy) checkManifestPolicy(containers, images, environment, policy, policy.app);
  const out: Record<string, unknown> = {};
  for (const f of REGISTRABLE_FIELDS) if (live[f] !== undefined) out[f] = structuredClone(live[f]);
  out.containerDefinitions = containers.map((c) => {
    const next = structuredClone(c);
    const name = c.name ?? '';
    if (Object.hasOwn(images, name)) next.image = images[name];
    const env = Object.hasOwn(environment, name) ? environment[name] : undefined;
    if (env) {
      const merged = new Map((c.environment ?? []).map((kv) => [kv.name ?? '', kv.value ?? '']));
      for (const [k, v] of Object.entries(env)) merged.set(k, v);
      next.environment = [...merged].map(([name, value]) => ({ name, value }));
    }
    return next;
  });
  return out as TaskDefinition;
}

// ---- service readiness ----

export interface ServiceDeployment {
  status?: string; // PRIMARY | ACTIVE | INACTIVE
  taskDefinition?: string;
  desiredCount?: number;
  runningCount?: number;
  failedTasks?: number;
  rolloutState?: string; // IN_PROGRESS | COMPLETED | FAILED
}
export interface ServiceState {
  desiredCount: number;
  runningCount: number;
  deployments: ServiceDeployment[];
}

export interface ServiceAssessment {
  desired: number;
  running: number;
  healthy: number;
  failedTasks: number;
  stable: boolean;
  ready: boolean;
}

/**
 * Stable: exactly one (PRIMARY) deployment, on the pinned task definition, COMPLETED, with
 * runningCount == desiredCount == desired. Ready: stable and every target healthy.
 */
export function assessService(svc: ServiceState, targets: readonly { state: string }[], pinnedTaskDefinition: string, desired: number): ServiceAssessment {
  const primary = svc.deployments.find((d) => d.status === 'PRIMARY');
  const onPinned = primary?.taskDefinition === pinnedTaskDefinition;
  const live = targets.filter((t) => t.state !== 'draining');
  const healthy = live.filter((t) => t.state === 'healthy').length;
  const stable =
    onPinned && svc.deployments.length === 1 && primary?.rolloutState === 'COMPLETED' && svc.runningCount === svc.desiredCount && svc.desiredCount === desired;
  return {
    desired,
    running: svc.runningCount,
    healthy,
    failedTasks: onPinned ? (primary?.failedTasks ?? 0) : 0,
    stable: !!stable,
    ready: !!stable && desired > 0 && healthy === desired && live.length === desired,
  };
}

// ---- image references ----

/** An image in a private ECR registry, as a task definition names it. */
export interface EcrImageRef {
  registryId: string;
  region: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:<tag>][@sha256:<digest>]`, or null
 * for any other registry (Docker Hub, ghcr.io, ECR Public: no ECR API in the account answers
 * for those). No tag and no digest means the tag "latest", as Docker resolves it.
 */
export function parseEcrImage(image: string): EcrImageRef | null {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(image);
  if (!m) return null;
  const [, registryId, region, repository, tag, digest] = m;
  return { registryId, region, repository, ...(digest ? { digest } : { tag: tag ?? 'latest' }) };
}
