import * as SDK from '@aws-sdk/client-ec2';
import { SimAwsError } from '../errors.js';
import { ACCOUNT, type Instance, REGION, type World } from '../world.js';
import { defineService } from './service.js';

// EC2, as the simulator answers it: the commands greenlight and its CLI call.

export const ec2 = defineService({
  name: 'ec2',
  iamPrefix: 'ec2',
  sdk: SDK,
  baseException: 'EC2ServiceException',
  faults: { throttle: ['RequestLimitExceeded', 503], 'server-error': ['InternalError', 500], 'access-denied': ['UnauthorizedOperation', 403] },
  commands: (w: World, _sfn) => ({
    DescribeImagesCommand: (i: { ImageIds?: string[]; Filters?: Filter[]; Owners?: string[] }) => {
      const ids = i.ImageIds ?? [];
      for (const id of ids) {
        if (!/^ami-[0-9a-f]{8,17}$/.test(id)) throw new SimAwsError('InvalidAMIID.Malformed', `Invalid id: "${id}"`);
        if (!w.images.has(id) || w.images.get(id)!.state === 'deregistered') throw new SimAwsError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
      }
      // Owners narrows the answer (an image of another owner is left out, not an error): account
      // ids, "self" (this account) and the aliases "amazon" / "aws-marketplace".
      const owned = (img: (typeof w.images extends Map<string, infer I> ? I : never)) =>
        !i.Owners?.length || i.Owners.some((o) => (o === 'self' ? (img.ownerId ?? ACCOUNT) === ACCOUNT : o === img.ownerAlias || o === (img.ownerId ?? ACCOUNT)));
      const images = (ids.length ? ids.map((id) => w.images.get(id)!) : [...w.images.values()].filter((img) => img.state !== 'deregistered')).filter(
        (img) => owned(img) && matchesFilters(i.Filters, { name: img.name, state: img.state ?? 'available' }, img.tags ?? {}),
      );
      return {
        Images: images.map((img) => ({
          ImageId: img.imageId,
          OwnerId: img.ownerId ?? ACCOUNT,
          ...(img.ownerAlias ? { ImageOwnerAlias: img.ownerAlias } : {}),
          Name: img.name,
          State: img.state ?? 'available',
          CreationDate: img.created?.toISOString(),
          Tags: Object.entries(img.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        })),
      };
    },
    CreateImageCommand: (i: { InstanceId: string; Name: string; NoReboot?: boolean; TagSpecifications?: TagSpec[] }) => {
      const img = w.ec2.createImage(i.InstanceId, i.Name, i.NoReboot ?? false, tagsOf(i.TagSpecifications, 'image'));
      return { ImageId: img.imageId };
    },
    DeregisterImageCommand: (i: { ImageId: string }) => {
      const img = w.images.get(i.ImageId);
      if (!img || img.state === 'deregistered') throw new SimAwsError('InvalidAMIID.NotFound', `The image id '[${i.ImageId}]' does not exist`);
      img.state = 'deregistered';
      w.note(`image ${img.name} deregistered`);
      return {};
    },
    RunInstancesCommand: (i: {
      LaunchTemplate?: { LaunchTemplateId?: string; Version?: string };
      ImageId?: string;
      UserData?: string;
      MinCount: number;
      MaxCount: number;
      ClientToken?: string;
      TagSpecifications?: TagSpec[];
    }) => {
      if (!i.LaunchTemplate?.LaunchTemplateId) throw new SimAwsError('MissingParameter', 'the simulator launches standalone instances from a launch template only');
      if (i.MinCount !== 1 || i.MaxCount !== 1) throw new SimAwsError('InvalidParameterValue', 'the simulator launches one instance per call');
      const prior = i.ClientToken ? w.ec2.clientTokens.get(i.ClientToken) : undefined;
      const inst = prior
        ? w.instances.get(prior)!
        : w.launchInstance({
            launchTemplateId: i.LaunchTemplate.LaunchTemplateId,
            version: i.LaunchTemplate.Version ?? '$Default',
            overrides: { ...(i.ImageId ? { ImageId: i.ImageId } : {}), ...(i.UserData ? { UserData: i.UserData } : {}) },
            tags: tagsOf(i.TagSpecifications, 'instance'),
          });
      if (i.ClientToken) w.ec2.clientTokens.set(i.ClientToken, inst.id);
      if (!prior) w.note(`${inst.id} launched (${inst.version ?? 'no app'})`);
      return { Instances: [describeInstance(w, inst)] };
    },
    DescribeInstancesCommand: (i: { InstanceIds?: string[]; Filters?: Filter[] }) => {
      const list = i.InstanceIds?.length ? i.InstanceIds.map((id) => w.ec2.instance(id)) : [...w.instances.values()];
      const found = list.filter((x) => matchesFilters(i.Filters, { 'instance-state-name': x.state, 'instance-id': x.id }, x.tags ?? {}));
      return { Reservations: found.length ? [{ Instances: found.map((x) => describeInstance(w, x)) }] : [] };
    },
    DescribeInstanceStatusCommand: (i: { InstanceIds?: string[]; IncludeAllInstances?: boolean }) => ({
      InstanceStatuses: (i.InstanceIds ?? [])
        .map((id) => w.ec2.instance(id))
        .filter((x) => i.IncludeAllInstances || x.state === 'running')
        .map((x) => {
          const st = w.ec2.status(x);
          return {
            InstanceId: x.id,
            InstanceState: { Name: x.state },
            InstanceStatus: { Status: st.instance, Details: [{ Name: 'reachability', Status: st.instance === 'impaired' ? 'failed' : st.instance === 'ok' ? 'passed' : 'initializing' }] },
            SystemStatus: { Status: st.system },
          };
        }),
    }),
    StopInstancesCommand: (i: { InstanceIds: string[] }) => ({ StoppingInstances: stateChanges(w, i.InstanceIds, (x) => w.ec2.stop(x)) }),
    StartInstancesCommand: (i: { InstanceIds: string[] }) => ({ StartingInstances: stateChanges(w, i.InstanceIds, (x) => w.ec2.start(x)) }),
    TerminateInstancesCommand: (i: { InstanceIds: string[] }) => ({ TerminatingInstances: stateChanges(w, i.InstanceIds, (x) => w.ec2.terminate(x)) }),
    AssociateAddressCommand: (i: { AllocationId: string; InstanceId: string; AllowReassociation?: boolean }) => {
      const a = w.ec2.associate(i.AllocationId, i.InstanceId, i.AllowReassociation ?? false);
      return { AssociationId: a.associationId };
    },
    DescribeAddressesCommand: (i: { AllocationIds?: string[] }) => ({
      Addresses: (i.AllocationIds ?? [...w.ec2.addresses.keys()]).map((id) => {
        const a = w.ec2.address(id);
        const tags = Object.entries(w.tagsOf(`arn:aws:ec2:${REGION}:${ACCOUNT}:elastic-ip/${a.allocationId}`)).map(([Key, Value]) => ({ Key, Value }));
        return { AllocationId: a.allocationId, PublicIp: a.publicIp, Domain: 'vpc', ...(a.instanceId ? { InstanceId: a.instanceId, AssociationId: a.associationId } : {}), ...(tags.length ? { Tags: tags } : {}) };
      }),
    }),
    DescribeLaunchTemplatesCommand: (i: { LaunchTemplateIds?: string[] }) => ({
      LaunchTemplates: (i.LaunchTemplateIds ?? [...w.launchTemplates.keys()]).map((id) => {
        const lt = w.launchTemplate(id);
        const tags = Object.entries(w.tagsOf(`arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/${lt.id}`)).map(([Key, Value]) => ({ Key, Value }));
        return { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, DefaultVersionNumber: lt.defaultVersion, LatestVersionNumber: Math.max(...lt.versions.keys()), ...(tags.length ? { Tags: tags } : {}) };
      }),
    }),
    DescribeLaunchTemplateVersionsCommand: (i: { LaunchTemplateId: string; Versions?: string[] }) => {
      const lt = w.launchTemplate(i.LaunchTemplateId);
      const specs = i.Versions?.length ? i.Versions : [...lt.versions.keys()].map(String);
      return {
        LaunchTemplateVersions: specs.map((s) => {
          const v = w.resolveVersion(lt, s);
          return {
            LaunchTemplateId: lt.id,
            LaunchTemplateName: lt.name,
            VersionNumber: v.number,
            VersionDescription: v.description,
            DefaultVersion: v.number === lt.defaultVersion,
            CreateTime: v.created,
            LaunchTemplateData: structuredClone(v.data),
          };
        }),
      };
    },
    CreateLaunchTemplateVersionCommand: (i: {
      LaunchTemplateId: string;
      SourceVersion?: string;
      VersionDescription?: string;
      LaunchTemplateData: Record<string, unknown>;
      ClientToken?: string;
    }) => {
      if (i.VersionDescription && i.VersionDescription.length > 255)
        throw new SimAwsError('InvalidParameterValue', 'VersionDescription is longer than 255 characters');
      const v = w.createLaunchTemplateVersion(i.LaunchTemplateId, i.SourceVersion, i.LaunchTemplateData ?? {}, i.VersionDescription, i.ClientToken);
      return { LaunchTemplateVersion: { LaunchTemplateId: i.LaunchTemplateId, VersionNumber: v.number, VersionDescription: v.description, LaunchTemplateData: v.data } };
    },
  }),
});

type Filter = { Name?: string; Values?: string[] };
type TagSpec = { ResourceType?: string; Tags?: { Key?: string; Value?: string }[] };

/** EC2 filters: attribute names, and tag:<key>, with * wildcards in values. */
function matchesFilters(filters: Filter[] | undefined, attrs: Record<string, string>, tags: Record<string, string>): boolean {
  return (filters ?? []).every((f) => {
    const value = f.Name?.startsWith('tag:') ? tags[f.Name.slice(4)] : attrs[f.Name ?? ''];
    if (value === undefined) return false;
    return (f.Values ?? []).some((v) => new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value));
  });
}

function tagsOf(specs: TagSpec[] | undefined, type: string): Record<string, string> {
  return Object.fromEntries((specs ?? []).filter((s) => s.ResourceType === type).flatMap((s) => (s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
}

function describeInstance(w: World, x: Instance) {
  return {
    InstanceId: x.id,
    ImageId: x.imageId,
    State: { Name: x.state },
    PrivateIpAddress: x.privateIp,
    LaunchTime: w.clock.dateAt(x.launchedAt),
    LaunchTemplate: x.launchTemplateId ? { LaunchTemplateId: x.launchTemplateId, Version: String(x.launchTemplateVersion) } : undefined,
    Tags: Object.entries(x.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** Stop/Start/TerminateInstances answer with each instance's previous and current state. */
function stateChanges(w: World, ids: string[], change: (x: Instance) => void) {
  return ids.map((id) => {
    const x = w.ec2.instance(id);
    const before = x.state;
    change(x);
    return { InstanceId: id, PreviousState: { Name: before }, CurrentState: { Name: x.state } };
  });
}
