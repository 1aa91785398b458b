import { Readable } from 'node:stream';
import * as SDK from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { SimAwsError } from '../errors.js';
import type { World } from '../world.js';
import { defineService } from './service.js';

// S3, as the simulator answers it: the commands greenlight and its CLI call.

export const s3 = defineService({
  name: 's3',
  iamPrefix: 's3',
  sdk: SDK,
  baseException: 'S3ServiceException',
  faults: { throttle: ['SlowDown', 503], 'server-error': ['InternalError', 500], 'access-denied': ['AccessDenied', 403] },
  commands: (w: World, _sfn) => ({
    PutObjectCommand: (i: { Bucket: string; Key: string; Body: string | Uint8Array }) => {
      const v = w.s3.putObject(i.Bucket, i.Key, Buffer.from(i.Body as string));
      return { VersionId: v.versionId, ETag: v.etag, ChecksumSHA256: v.sha256 ?? undefined };
    },
    HeadObjectCommand: (i: { Bucket: string; Key: string; VersionId?: string; ChecksumMode?: string }) => {
      let v: ReturnType<World['s3']['getObject']>;
      try {
        v = w.s3.getObject(i.Bucket, i.Key, i.VersionId);
      } catch (e) {
        // HEAD responses have no body, so S3 errors reach the SDK as a bare 404 "NotFound".
        if (e instanceof SimAwsError && e.status === 404) throw new SimAwsError('NotFound', 'Not Found', 404);
        throw e;
      }
      return {
        VersionId: v.versionId,
        ContentLength: v.body.length,
        ETag: v.etag,
        LastModified: v.lastModified,
        ...(i.ChecksumMode === 'ENABLED' && v.sha256 ? { ChecksumSHA256: v.sha256, ChecksumType: 'FULL_OBJECT' } : {}),
      };
    },
    GetBucketVersioningCommand: (i: { Bucket: string }) => {
      const b = w.s3.buckets.get(i.Bucket);
      if (!b) throw new SimAwsError('NoSuchBucket', 'The specified bucket does not exist', 404);
      return b.versioned ? { Status: 'Enabled' } : {};
    },
    GetObjectCommand: (i: { Bucket: string; Key: string; VersionId?: string }) => {
      const v = w.s3.getObject(i.Bucket, i.Key, i.VersionId);
      return { VersionId: v.versionId, ContentLength: v.body.length, ETag: v.etag, Body: sdkStreamMixin(Readable.from([v.body])) };
    },
  }),
});
