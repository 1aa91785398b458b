import { createHash } from 'node:crypto';

// The release as it travels through the state machine. Small on purpose: Step Functions
// payloads are capped at 256 KB and every field here is shown in the console.

export interface Artifact {
  bucket: string;
  key: string;
  versionId: string;
  /** Base64 SHA-256: S3's own checksum when the object has one, else computed (manifests). */
  sha256: string | null;
  type: 'ami' | 'bundle' | 'image';
  /** When the object version was uploaded (epoch ms): "the newest release" is the newest upload. */
  uploadedAt?: number;
  imageId?: string;
  /** ECS: container → image, and environment overrides, from the manifest. */
  images?: Record<string, string>;
  environment?: Record<string, Record<string, string>>;
}

export interface Release {
  app: string;
  version: string;
  artifact: Artifact;
  trigger: 's3' | 'manual' | 'alarm';
  /**
   * release (default); rollback: back to the previous version (asg/ecs: the idle colour's, which
   * is instant while it is warm; eip: the stopped previous server); retire: the idle colour to
   * zero now; replace / mark-unhealthy: a faulty server (alarm-driven).
   */
  action?: 'release' | 'rollback' | 'retire' | 'prewarm' | 'replace' | 'mark-unhealthy';
  /** prewarm: the idle colour's capacity (EC2 instances behind its ECS cluster). */
  capacity?: number;
  /** mark-unhealthy: the instance an alarm named. */
  instanceId?: string;
  /** retire: the colour meant; the retire refuses if that colour takes traffic. */
  colour?: 'blue' | 'green';
  /** A hand-typed release with "force": true runs even if the same artifact content is live. */
  force?: boolean;
}

export interface Settings {
  pollSeconds: number;
  /** asg/ecs with a test listener or rule: smoke checks run through it before production traffic. */
  smokeTest?: boolean;
  /** asg/ecs with an approval gate: how long to wait for promote/abort, and what then. */
  approval?: boolean;
  approvalTimeoutSeconds?: number;
  approvalOnTimeout?: 'abort' | 'promote';
  keepWarmSeconds: number;
  timeoutSeconds: number;
}

/** Marks the launch-template version that pins this exact artifact (max 255 chars). */
export function releaseDescription(r: Pick<Release, 'app' | 'version' | 'artifact'>): string {
  return `greenlight ${r.app}@${r.version} s3v=${r.artifact.versionId}`.slice(0, 255);
}

export function parseReleaseDescription(description: string | undefined): { app: string; version: string; versionId: string } | null {
  const m = /^greenlight ([a-z][a-z0-9-]*)@(\S+) s3v=(\S+)$/.exec(description ?? '');
  return m ? { app: m[1], version: m[2], versionId: m[3] } : null;
}

/**
 * Deterministic Step Functions execution name for one upload. S3 and EventBridge deliver at
 * least once; both deliveries of an upload carry the same bucket, key, version id and
 * sequencer, so the second StartExecution is refused (ExecutionAlreadyExists) or folded
 * into the running one. Names: 1-80 chars of [A-Za-z0-9_-].
 */
export function executionNameFor(parts: { bucket: string; key: string; versionId?: string; sequencer?: string }): string {
  const digest = createHash('sha256')
    .update([parts.bucket, parts.key, parts.versionId ?? '', parts.sequencer ?? ''].join('\n'))
    .digest('hex')
    .slice(0, 16);
  const m = /^releases\/([a-z0-9-]+)\/(.+?)\.(json|tar\.gz|tgz|zip)$/.exec(parts.key);
  const label = m ? `${m[1]}-${m[2]}` : 'upload';
  return `${label.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 62)}-${digest}`;
}
