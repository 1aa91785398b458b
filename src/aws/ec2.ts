import {
  AssociateAddressCommand,
  CreateImageCommand,
  CreateLaunchTemplateVersionCommand,
  DeregisterImageCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { AwsResourceNotFound } from '../core/errors.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';
import { tagMap } from './tags.js';

registerClient('ec2', (config) => new EC2Client(config));

export interface LaunchTemplateVersion {
  launchTemplateId: string;
  versionNumber: string;
  description: string | undefined;
  imageId: string | undefined;
  /** Base64, as EC2 keeps it. */
  userData?: string;
}

/** Whether an AMI exists (visible to this account) and whether one of `owners` owns it; the owner when it is another. */
export async function imageOwnership(ec2: EC2Client, imageId: string, owners: string[]): Promise<{ exists: boolean; allowed: boolean; owner?: string }> {
  try {
    const mine = await call(`ec2:DescribeImages ${imageId}`, () => ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], Owners: owners })));
    if ((mine.Images ?? []).some((i) => i.ImageId === imageId && i.State !== 'deregistered')) return { exists: true, allowed: true };
    // Not among the allowed owners': does it exist at all (shared or public), and whose is it?
    const any = await call(`ec2:DescribeImages ${imageId}`, () => ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })));
    const img = (any.Images ?? []).find((i) => i.ImageId === imageId && i.State !== 'deregistered');
    return img ? { exists: true, allowed: false, owner: img.OwnerId } : { exists: false, allowed: false };
  } catch (err) {
    if (err instanceof AwsResourceNotFound) return { exists: false, allowed: false };
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
    ...(v.LaunchTemplateData?.UserData ? { userData: v.LaunchTemplateData.UserData } : {}),
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

// ---- standalone instances, Elastic IPs, images (kind eip) ----

export interface InstanceInfo {
  instanceId: string;
  state: string;
  privateIp: string | undefined;
  launchTime: number;
  tags: Record<string, string>;
}

function toInfo(i: import('@aws-sdk/client-ec2').Instance): InstanceInfo {
  return {
    instanceId: i.InstanceId ?? '',
    state: String(i.State?.Name ?? 'unknown'),
    privateIp: i.PrivateIpAddress,
    launchTime: i.LaunchTime ? new Date(i.LaunchTime).getTime() : 0,
    tags: tagMap(i.Tags),
  };
}

export async function describeInstances(ec2: EC2Client, input: { instanceIds?: string[]; tags?: Record<string, string>; states?: string[] }): Promise<InstanceInfo[]> {
  const Filters = [
    ...Object.entries(input.tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
    ...(input.states ? [{ Name: 'instance-state-name', Values: input.states }] : []),
  ];
  const out = await call('ec2:DescribeInstances', () => ec2.send(new DescribeInstancesCommand({ InstanceIds: input.instanceIds, Filters: Filters.length ? Filters : undefined })));
  return (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map(toInfo));
}

export async function runInstance(
  ec2: EC2Client,
  input: { launchTemplateId: string; version: string; imageId?: string; userData?: string; clientToken: string; tags: Record<string, string> },
): Promise<InstanceInfo> {
  const Tags = Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value }));
  const out = await call(`ec2:RunInstances ${input.launchTemplateId}`, () =>
    ec2.send(
      new RunInstancesCommand({
        LaunchTemplate: { LaunchTemplateId: input.launchTemplateId, Version: input.version },
        ...(input.imageId ? { ImageId: input.imageId } : {}),
        ...(input.userData ? { UserData: input.userData } : {}),
        MinCount: 1,
        MaxCount: 1,
        ClientToken: input.clientToken,
        TagSpecifications: [{ ResourceType: 'instance', Tags }],
      }),
    ),
  );
  return toInfo(out.Instances![0]);
}

export async function instanceStatus(ec2: EC2Client, instanceId: string): Promise<{ state: string; instance: string; system: string }> {
  const out = await call(`ec2:DescribeInstanceStatus ${instanceId}`, () => ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true })));
  const s = out.InstanceStatuses?.[0];
  return { state: String(s?.InstanceState?.Name ?? 'unknown'), instance: String(s?.InstanceStatus?.Status ?? 'unknown'), system: String(s?.SystemStatus?.Status ?? 'unknown') };
}

export async function stopInstance(ec2: EC2Client, instanceId: string): Promise<void> {
  await call(`ec2:StopInstances ${instanceId}`, () => ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })));
}

export async function startInstance(ec2: EC2Client, instanceId: string): Promise<void> {
  await call(`ec2:StartInstances ${instanceId}`, () => ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] })));
}

export async function terminateInstance(ec2: EC2Client, instanceId: string): Promise<void> {
  await call(`ec2:TerminateInstances ${instanceId}`, () => ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
}

export async function addressOf(ec2: EC2Client, allocationId: string): Promise<{ publicIp: string; instanceId: string | null; tags: Record<string, string> }> {
  const out = await call(`ec2:DescribeAddresses ${allocationId}`, () => ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] })));
  const a = out.Addresses?.[0];
  if (!a) throw new AwsResourceNotFound(`Elastic IP ${allocationId} not found: check allocationId in the config`);
  return { publicIp: a.PublicIp ?? '', instanceId: a.InstanceId ?? null, tags: tagMap(a.Tags) };
}

/** A launch template's own tags (not the ones it gives instances). */
export async function launchTemplateTags(ec2: EC2Client, id: string): Promise<Record<string, string>> {
  const out = await call(`ec2:DescribeLaunchTemplates ${id}`, () => ec2.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] })));
  const lt = out.LaunchTemplates?.[0];
  if (!lt) throw new AwsResourceNotFound(`launch template ${id} not found: check launchTemplateId in the config`);
  return tagMap(lt.Tags);
}

/** One call moves the address (AllowReassociation): no moment without it. */
export async function associateAddress(ec2: EC2Client, allocationId: string, instanceId: string): Promise<void> {
  await call(`ec2:AssociateAddress ${allocationId}`, () => ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: instanceId, AllowReassociation: true })));
}

export interface ImageInfo {
  imageId: string;
  name: string;
  state: string;
  created: number;
  tags: Record<string, string>;
}

export async function findImages(ec2: EC2Client, filter: { name?: string; tags?: Record<string, string> }): Promise<ImageInfo[]> {
  const Filters = [...(filter.name ? [{ Name: 'name', Values: [filter.name] }] : []), ...Object.entries(filter.tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }))];
  const out = await call('ec2:DescribeImages', () => ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters })));
  return (out.Images ?? []).map((i) => ({
    imageId: i.ImageId ?? '',
    name: i.Name ?? '',
    state: String(i.State ?? ''),
    created: i.CreationDate ? Date.parse(i.CreationDate) : 0,
    tags: tagMap(i.Tags),
  }));
}

export async function createImage(ec2: EC2Client, input: { instanceId: string; name: string; noReboot: boolean; tags: Record<string, string> }): Promise<string> {
  const out = await call(`ec2:CreateImage ${input.instanceId}`, () =>
    ec2.send(
      new CreateImageCommand({
        InstanceId: input.instanceId,
        Name: input.name,
        NoReboot: input.noReboot,
        TagSpecifications: [{ ResourceType: 'image', Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    ),
  );
  return out.ImageId ?? '';
}

export async function deregisterImage(ec2: EC2Client, imageId: string): Promise<void> {
  await call(`ec2:DeregisterImage ${imageId}`, () => ec2.send(new DeregisterImageCommand({ ImageId: imageId })));
}
