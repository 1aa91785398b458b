import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import type { EcrImageRef } from '../core/ecs.js';
import { registerClient } from './clients.js';
import { mapAwsError } from './errors.js';

registerClient('ecr', (config) => new ECRClient(config));

// ECR, read by the CLI only (`release` checks that a manifest's images exist before it uploads
// anything); no Lambda function calls it.

/** Does the image exist in its repository? A missing repository or image is `false`, not an error. */
export async function ecrImageExists(ecr: ECRClient, ref: EcrImageRef): Promise<{ exists: boolean; why?: string }> {
  const imageId = ref.digest ? { imageDigest: ref.digest } : { imageTag: ref.tag };
  try {
    const out = await ecr.send(new DescribeImagesCommand({ registryId: ref.registryId, repositoryName: ref.repository, imageIds: [imageId] }));
    return (out.imageDetails ?? []).length ? { exists: true } : { exists: false, why: 'no such image' };
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'RepositoryNotFoundException') return { exists: false, why: `repository ${ref.repository} does not exist in registry ${ref.registryId}` };
    if (name === 'ImageNotFoundException') return { exists: false, why: `${ref.digest ? `digest ${ref.digest}` : `tag ${ref.tag}`} is not in repository ${ref.repository}` };
    // Anything else (denied, throttled) is the SDK's failure, mapped to a named domain error.
    throw mapAwsError(err, `ecr:DescribeImages ${ref.repository}`);
  }
}
