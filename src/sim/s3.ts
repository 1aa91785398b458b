import { createHash } from 'node:crypto';
import { SimAwsError } from './errors.js';
import { hexId, type World } from './world.js';

// S3 as the simulator models it: versioned buckets, object versions with their SHA-256 and ETag,
// and the bucket's EventBridge notification of each upload. The commands are in services/s3.ts.

export interface ObjectVersion {
  versionId: string;
  body: Buffer;
  sha256: string | null;
  etag: string;
  lastModified: Date;
  sequencer: string;
}
export interface Bucket {
  name: string;
  versioned: boolean;
  eventBridge: boolean;
  objects: Map<string, ObjectVersion[]>; // newest last
}


export class S3Model {
  readonly buckets = new Map<string, Bucket>();
  /** The bucket's EventBridge notification (wired by the session to its bus). */
  onObjectCreated: (bucket: Bucket, key: string, v: ObjectVersion) => void = () => {};

  constructor(private readonly world: World) {}

  bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new SimAwsError('NoSuchBucket', 'The specified bucket does not exist', 404);
    return b;
  }

  putObject(bucketName: string, key: string, body: Buffer, withChecksum = true, storedSha256?: string): ObjectVersion {
    const b = this.bucket(bucketName);
    const v: ObjectVersion = {
      versionId: b.versioned ? hexId(`v${this.world.serial()}`, 32) : 'null',
      body,
      sha256: storedSha256 ?? (withChecksum ? createHash('sha256').update(body).digest('base64') : null),
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      lastModified: this.world.clock.date(),
      sequencer: hexId(`seq${this.world.serial()}`, 18).toUpperCase(),
    };
    const list = b.objects.get(key) ?? [];
    if (!b.versioned) list.length = 0;
    list.push(v);
    b.objects.set(key, list);
    this.world.note(`s3 upload s3://${bucketName}/${key}`);
    if (b.eventBridge) this.onObjectCreated(b, key, v);
    return v;
  }

  getObject(bucketName: string, key: string, versionId?: string): ObjectVersion {
    const list = this.bucket(bucketName).objects.get(key);
    if (!list?.length) throw new SimAwsError('NoSuchKey', 'The specified key does not exist.', 404);
    if (!versionId) return list[list.length - 1];
    const v = list.find((x) => x.versionId === versionId);
    if (!v) throw new SimAwsError('NoSuchVersion', 'The specified version does not exist.', 404);
    return v;
  }
}
