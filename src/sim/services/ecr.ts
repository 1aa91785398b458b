import * as SDK from '@aws-sdk/client-ecr';
import { SimAwsError } from '../errors.js';
import { ACCOUNT, REGION, type World } from '../world.js';
import { defineService } from './service.js';

// ECR, as the simulator answers it: DescribeImages, which `greenlight release` calls to check
// that a manifest's images exist before it uploads anything. The registry's content is what
// ECS can pull in the simulator (`world.ecs.registryImages()`: scenario builds, `ecrPush` steps
// and `sim image add`): a repository exists once an image was pushed to it, and an image pushed
// by digest carries its version as its tag (as CI pushes `repo:<version>`).

type ImageId = { imageTag?: string; imageDigest?: string };

export const ecr = defineService({
  name: 'ecr',
  iamPrefix: 'ecr',
  sdk: SDK,
  baseException: 'ECRServiceException',
  faults: { throttle: ['ThrottlingException', 400], 'server-error': ['ServerException', 500], 'access-denied': ['AccessDeniedException', 400] },
  commands: (w: World, _sfn) => ({
    DescribeImagesCommand: (i: { registryId?: string; repositoryName: string; imageIds?: ImageId[] }) => {
      const registryId = i.registryId ?? ACCOUNT;
      const images = w.ecs.registryImages().filter((im) => im.registryId === registryId && im.region === REGION && im.repository === i.repositoryName);
      if (!images.length) throw new SimAwsError('RepositoryNotFoundException', `The repository with name '${i.repositoryName}' does not exist in the registry with id '${registryId}'`);
      const wanted = i.imageIds ?? [];
      const found = wanted.length
        ? wanted.map((id) => ({ id, image: images.find((im) => (!id.imageDigest || im.digest === id.imageDigest) && (!id.imageTag || im.tags.includes(id.imageTag))) }))
        : images.map((image) => ({ id: {} as ImageId, image }));
      const missing = found.find((f) => !f.image);
      if (missing)
        throw new SimAwsError(
          'ImageNotFoundException',
          `The image with imageId {imageDigest:'${missing.id.imageDigest ?? 'null'}', imageTag:'${missing.id.imageTag ?? 'null'}'} does not exist within the repository with name '${i.repositoryName}' in the registry with id '${registryId}'`,
        );
      return {
        imageDetails: found.map(({ image }) => ({ registryId, repositoryName: i.repositoryName, imageDigest: image!.digest, imageTags: image!.tags, imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' })),
      };
    },
  }),
});
