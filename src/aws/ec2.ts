import { CreateLaunchTemplateVersionCommand, DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { AwsResourceNotFound } from '../core/errors.js';
import { call } from './errors.js';

export interface LaunchTemplateVersion {
  launchTemplateId: string;
  versionNumber: string;
  description: string | undefined;
  imageId: string | undefined;
}

export async function imageExists(ec2: EC2Client, imageId: string): Promise<boolean> {
  try {
    const out = await call(`ec2:DescribeImages ${imageId}`, () => ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })));
    return (out.Images ?? []).some((i) => i.ImageId === imageId && i.State !== 'deregistered');
  } catch (err) {
    if (err instanceof AwsResourceNotFound) return false;
    throw err;
  }
}

/** Versions may be numbers or $Latest / $Default. Missing versions are simply absent. */
export async function launchTemplateVersions(ec2: EC2Client, launchTemplateId: string, versions: string[]): Promise<LaunchTemplateVersion[]> {
  const out = await call(`ec2:DescribeLaunchTemplateVersions ${launchTemplateId}`, () =>
    ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: versions })),
  );
  return (out.LaunchTemplateVersions ?? []).map((v) => ({
    launchTemplateId,
    versionNumber: String(v.VersionNumber),
    description: v.VersionDescription,
    imageId: v.LaunchTemplateData?.ImageId,
  }));
}

/** A new version derived from `sourceVersion`: only the artifact fields change. */
export async function createLaunchTemplateVersion(
  ec2: EC2Client,
  input: { launchTemplateId: string; sourceVersion: string; description: string; imageId?: string; userData?: string; clientToken: string },
): Promise<string> {
  const out = await call(`ec2:CreateLaunchTemplateVersion ${input.launchTemplateId}`, () =>
    ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: input.launchTemplateId,
        SourceVersion: input.sourceVersion,
        VersionDescription: input.description,
        ClientToken: input.clientToken,
        LaunchTemplateData: {
          ...(input.imageId ? { ImageId: input.imageId } : {}),
          ...(input.userData ? { UserData: input.userData } : {}),
        },
      }),
    ),
  );
  return String(out.LaunchTemplateVersion?.VersionNumber);
}
