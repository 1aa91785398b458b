import { GetBucketVersioningCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AwsResourceNotFound } from '../core/errors.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';

registerClient('s3', (config) => new S3Client(config));

export interface ObjectInfo {
  versionId: string;
  size: number;
  /** Base64 SHA-256 stored by S3 (full-object checksum), when the uploader asked for one. */
  sha256: string | null;
  /** When this object version was uploaded (epoch ms). */
  lastModified?: number;
}

export async function headObject(s3: S3Client, bucket: string, key: string, versionId?: string): Promise<ObjectInfo> {
  const out = await call(`s3:HeadObject ${key}`, () =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, ChecksumMode: 'ENABLED' })),
  );
  if (!out.VersionId || out.VersionId === 'null')
    throw new AwsResourceNotFound(`s3://${bucket}/${key} has no version id: the artifact bucket must have versioning enabled`);
  const sha = out.ChecksumSHA256 && out.ChecksumType !== 'COMPOSITE' ? out.ChecksumSHA256 : null;
  return { versionId: out.VersionId, size: out.ContentLength ?? 0, sha256: sha, ...(out.LastModified ? { lastModified: out.LastModified.getTime() } : {}) };
}

/** Returns null when no version of the key exists. */
export async function findObject(s3: S3Client, bucket: string, key: string): Promise<ObjectInfo | null> {
  try {
    return await headObject(s3, bucket, key);
  } catch (err) {
    if (err instanceof AwsResourceNotFound && /NotFound|NoSuchKey/.test(err.message)) return null;
    throw err;
  }
}

export async function getObjectText(s3: S3Client, bucket: string, key: string, versionId: string): Promise<string> {
  const out = await call(`s3:GetObject ${key}`, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId })));
  return (await out.Body?.transformToString('utf-8')) ?? '';
}

/** Upload with a SHA-256 checksum, so S3 verifies it and keeps it with the object. */
export async function putObject(s3: S3Client, bucket: string, key: string, body: string | Uint8Array, contentType: string): Promise<string | undefined> {
  const out = await call(`s3:PutObject ${key}`, () =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ChecksumAlgorithm: 'SHA256' })),
  );
  return out.VersionId;
}

export async function bucketVersioning(s3: S3Client, bucket: string): Promise<string> {
  const out = await call(`s3:GetBucketVersioning ${bucket}`, () => s3.send(new GetBucketVersioningCommand({ Bucket: bucket })));
  return out.Status ?? 'Disabled';
}
