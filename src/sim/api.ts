import { Readable } from 'node:stream';
import { sdkStreamMixin } from '@smithy/util-stream';
import { SimAwsError } from './errors.js';
import { ACCOUNT, type Action, hexId, REGION, type World } from './world.js';

// The simulated AWS APIs: SDK command name + typed input in, SDK-shaped output out.
// Only what greenlight and its CLI call is implemented; anything else is an explicit error.

export type Service = 's3' | 'ec2' | 'ecs' | 'autoscaling' | 'elbv2' | 'sfn' | 'cloudwatch' | 'dynamodb' | 'events' | 'sns';
// biome-ignore lint/suspicious/noExplicitAny: SDK inputs/outputs are checked by the SDK types at the call sites.
type Handler = (input: any) => any;

export interface StepFunctionsBackend {
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): { executionArn: string; startDate: Date };
  describeExecution(input: { executionArn: string }): Record<string, unknown>;
  stopExecution(input: { executionArn: string; error?: string; cause?: string }): { stopDate: Date };
  describeStateMachine(input: { stateMachineArn: string }): Record<string, unknown>;
  sendTaskSuccess(input: { taskToken: string; output: string }): Record<string, never>;
  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Record<string, never>;
  listExecutions(input: { stateMachineArn: string; statusFilter?: string; maxResults?: number }): { executions: Record<string, unknown>[] };
}

/** An account with no state machines (for tools that only resolve and plan). */
export const NO_STEP_FUNCTIONS: StepFunctionsBackend = {
  startExecution: (i) => {
    throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
  },
  describeExecution: (i) => {
    throw new SimAwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${i.executionArn}'`);
  },
  stopExecution: (i) => {
    throw new SimAwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${i.executionArn}'`);
  },
  listExecutions: (i) => {
    throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
  },
  describeStateMachine: (i) => {
    throw new SimAwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${i.stateMachineArn}'`);
  },
  sendTaskSuccess: () => {
    throw new SimAwsError('TaskDoesNotExist', 'Task does not exist anymore');
  },
  sendTaskFailure: () => {
    throw new SimAwsError('TaskDoesNotExist', 'Task does not exist anymore');
  },
};

export function simApi(world: World, sfn: StepFunctionsBackend): Record<Service, Record<string, Handler>> {
  const w = world;
  return {
    s3: {
      PutObjectCommand: (i: { Bucket: string; Key: string; Body: string | Uint8Array }) => {
        const v = w.putObject(i.Bucket, i.Key, Buffer.from(i.Body as string));
        return { VersionId: v.versionId, ETag: v.etag, ChecksumSHA256: v.sha256 ?? undefined };
      },
      HeadObjectCommand: (i: { Bucket: string; Key: string; VersionId?: string; ChecksumMode?: string }) => {
        let v: ReturnType<World['getObject']>;
        try {
          v = w.getObject(i.Bucket, i.Key, i.VersionId);
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
        const b = w.buckets.get(i.Bucket);
        if (!b) throw new SimAwsError('NoSuchBucket', 'The specified bucket does not exist', 404);
        return b.versioned ? { Status: 'Enabled' } : {};
      },
      GetObjectCommand: (i: { Bucket: string; Key: string; VersionId?: string }) => {
        const v = w.getObject(i.Bucket, i.Key, i.VersionId);
        return { VersionId: v.versionId, ContentLength: v.body.length, ETag: v.etag, Body: sdkStreamMixin(Readable.from([v.body])) };
      },
    },
    ec2: {
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
        return { Instances: [describeInstance(inst)] };
      },
      DescribeInstancesCommand: (i: { InstanceIds?: string[]; Filters?: Filter[] }) => {
        const list = i.InstanceIds?.length ? i.InstanceIds.map((id) => w.ec2.instance(id)) : [...w.instances.values()];
        const found = list.filter((x) => matchesFilters(i.Filters, { 'instance-state-name': x.state, 'instance-id': x.id }, x.tags ?? {}));
        return { Reservations: found.length ? [{ Instances: found.map(describeInstance) }] : [] };
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
          return { AllocationId: a.allocationId, PublicIp: a.publicIp, Domain: 'vpc', ...(a.instanceId ? { InstanceId: a.instanceId, AssociationId: a.associationId } : {}) };
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
    },
    ecs: {
      DescribeServicesCommand: (i: { cluster?: string; services: string[] }) => {
        const cluster = w.ecs.cluster(i.cluster ?? 'default');
        const services = [];
        const failures = [];
        for (const name of i.services ?? []) {
          const key = `${cluster}/${name.split('/').pop()}`;
          const svc = w.ecs.services.get(key);
          if (!svc) {
            failures.push({ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${key}`, reason: 'MISSING' });
            continue;
          }
          const c = w.ecs.counts(svc);
          services.push({
            serviceArn: svc.arn,
            serviceName: svc.name,
            clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`,
            status: svc.status,
            desiredCount: svc.desiredCount,
            runningCount: c.running,
            pendingCount: c.pending,
            launchType: svc.launchType,
            taskDefinition: svc.taskDefinition,
            loadBalancers: svc.loadBalancers,
            deployments: svc.deployments.map((d, idx) => {
              const ts = c.byDeployment(d.id);
              return {
                id: d.id,
                status: d.status,
                taskDefinition: d.taskDefinition,
                desiredCount: idx === 0 ? svc.desiredCount : 0,
                runningCount: ts.filter((t) => t.lastStatus === 'RUNNING').length,
                pendingCount: ts.filter((t) => t.lastStatus === 'PENDING' || t.lastStatus === 'PROVISIONING').length,
                failedTasks: d.failedTasks,
                rolloutState: d.rolloutState,
                createdAt: d.createdAt,
              };
            }),
          });
        }
        return { services, failures };
      },
      UpdateServiceCommand: (i: { cluster?: string; service: string; taskDefinition?: string; desiredCount?: number; forceNewDeployment?: boolean }) => {
        const svc = w.ecs.updateService(i.cluster ?? 'default', i.service, i);
        return { service: { serviceArn: svc.arn, serviceName: svc.name, desiredCount: svc.desiredCount, taskDefinition: svc.taskDefinition } };
      },
      UpdateContainerInstancesStateCommand: (i: { cluster?: string; containerInstances: string[]; status: 'ACTIVE' | 'DRAINING' }) => {
        const cis = w.ecs.setContainerInstancesState(i.cluster ?? 'default', i.containerInstances ?? [], i.status);
        return { containerInstances: cis.map((c) => ({ containerInstanceArn: c.arn, ec2InstanceId: c.ec2InstanceId, status: c.status })), failures: [] };
      },
      DescribeTaskDefinitionCommand: (i: { taskDefinition: string; include?: string[] }) => {
        const td = w.ecs.taskDefinition(i.taskDefinition);
        return {
          taskDefinition: { ...structuredClone(td.def), taskDefinitionArn: td.arn, family: td.family, revision: td.revision, status: 'ACTIVE', registeredAt: td.registeredAt },
          ...(i.include?.includes('TAGS') ? { tags: structuredClone(td.tags) } : {}),
        };
      },
      RegisterTaskDefinitionCommand: (i: Record<string, unknown> & { tags?: { key: string; value: string }[] }) => {
        const { tags, ...def } = i;
        const td = w.ecs.registerTaskDefinition(def, tags ?? []);
        return { taskDefinition: { ...structuredClone(td.def), taskDefinitionArn: td.arn, family: td.family, revision: td.revision, status: 'ACTIVE' }, tags: td.tags };
      },
      ListTasksCommand: (i: { cluster?: string; serviceName?: string; desiredStatus?: string; maxResults?: number; nextToken?: string }) => {
        const cluster = w.ecs.cluster(i.cluster ?? 'default');
        const svc = i.serviceName ? w.ecs.service(cluster, i.serviceName) : undefined;
        const stopped = i.desiredStatus === 'STOPPED';
        // Stopped tasks stay listed for at least an hour after they stop.
        const arns = [...w.ecs.tasks.values()]
          .filter((t) => t.cluster === cluster && (!svc || t.service === svc.arn) && (stopped ? t.stopping && w.clock.now - (t.stoppedAt ?? 0) <= 3600 : !t.stopping))
          .map((t) => t.arn);
        // Pages of maxResults (at most 100); nextToken is where the next page starts.
        const max = Math.min(i.maxResults ?? 100, 100);
        const from = i.nextToken ? Number(i.nextToken) : 0;
        const more = from + max < arns.length;
        return { taskArns: arns.slice(from, from + max), ...(more ? { nextToken: String(from + max) } : {}) };
      },
      DescribeTasksCommand: (i: { cluster?: string; tasks: string[] }) => {
        if (i.tasks.length > 100) throw new SimAwsError('InvalidParameterException', 'tasks can have at most 100 items');
        const found = i.tasks.map((a) => w.ecs.tasks.get(a)).filter((t) => !!t);
        return {
          tasks: found.map((t) => ({
            taskArn: t.arn,
            clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${t.cluster}`,
            taskDefinitionArn: t.taskDefinition,
            lastStatus: t.stopping ? 'STOPPED' : t.lastStatus,
            desiredStatus: t.stopping ? 'STOPPED' : 'RUNNING',
            ...(t.startedAt !== undefined ? { startedAt: new Date(w.clock.date().getTime() - (w.clock.now - t.startedAt) * 1000) } : {}),
            ...(t.stoppedReason ? { stoppedReason: t.stoppedReason, stopCode: 'TaskFailedToStart', stoppedAt: new Date(w.clock.date().getTime() - (w.clock.now - (t.stoppedAt ?? w.clock.now)) * 1000) } : {}),
          })),
          failures: i.tasks.filter((a) => !w.ecs.tasks.has(a)).map((arn) => ({ arn, reason: 'MISSING' })),
        };
      },
      ListContainerInstancesCommand: (i: { cluster?: string; status?: string; filter?: string; nextToken?: string; maxResults?: number }) => {
        const cluster = w.ecs.cluster(i.cluster ?? 'default');
        const max = Math.min(i.maxResults ?? 100, 100);
        // Cluster query language: only the `ec2InstanceId == i-...` expression is modelled.
        let byInstance: string | undefined;
        if (i.filter) {
          const m = /^\s*ec2InstanceId\s*==\s*(i-[0-9a-f]+)\s*$/.exec(i.filter);
          if (!m) throw new SimAwsError('InvalidParameterException', `the simulator supports only "ec2InstanceId == i-..." filters, not ${i.filter}`);
          byInstance = m[1];
        }
        const all = [...w.ecs.containerInstances.values()]
          .filter((c) => c.cluster === cluster && (i.status ? c.status === i.status : c.status !== 'INACTIVE') && (!byInstance || c.ec2InstanceId === byInstance))
          .map((c) => c.arn);
        const start = i.nextToken ? Number(Buffer.from(i.nextToken, 'base64').toString()) : 0;
        const page = all.slice(start, start + max);
        return { containerInstanceArns: page, ...(start + max < all.length ? { nextToken: Buffer.from(String(start + max)).toString('base64') } : {}) };
      },
      DescribeContainerInstancesCommand: (i: { cluster?: string; containerInstances: string[] }) => {
        w.ecs.cluster(i.cluster ?? 'default');
        if ((i.containerInstances ?? []).length > 100) throw new SimAwsError('InvalidParameterException', 'containerInstances can have at most 100 items.');
        const found = (i.containerInstances ?? []).map((a) => w.ecs.containerInstances.get(a)).filter((c) => !!c);
        return {
          containerInstances: found.map((c) => ({
            containerInstanceArn: c.arn,
            ec2InstanceId: c.ec2InstanceId,
            status: c.status,
            agentConnected: c.status !== 'INACTIVE',
            runningTasksCount: w.ecs.tasksOn(c).filter((t) => t.lastStatus === 'RUNNING' || t.lastStatus === 'DEACTIVATING').length,
            pendingTasksCount: w.ecs.tasksOn(c).filter((t) => t.lastStatus === 'PENDING' || t.lastStatus === 'PROVISIONING').length,
            registeredResources: [
              { name: 'CPU', type: 'INTEGER', integerValue: c.cpu },
              { name: 'MEMORY', type: 'INTEGER', integerValue: c.memory },
            ],
            remainingResources: [
              { name: 'CPU', type: 'INTEGER', integerValue: c.cpu - c.usedCpu },
              { name: 'MEMORY', type: 'INTEGER', integerValue: c.memory - c.usedMemory },
            ],
          })),
          failures: (i.containerInstances ?? []).filter((a) => !w.ecs.containerInstances.has(a)).map((arn) => ({ arn, reason: 'MISSING' })),
        };
      },
    },
    autoscaling: {
      SuspendProcessesCommand: (i: { AutoScalingGroupName: string; ScalingProcesses?: string[] }) => {
        const g = w.groups.get(i.AutoScalingGroupName);
        if (!g) throw new SimAwsError('ValidationError', `AutoScalingGroup name not found - ${i.AutoScalingGroupName}`);
        g.suspended ??= new Set();
        for (const p of i.ScalingProcesses ?? ['Launch', 'Terminate', 'AddToLoadBalancer', 'AlarmNotification', 'AZRebalance', 'HealthCheck', 'InstanceRefresh', 'ReplaceUnhealthy', 'ScheduledActions']) g.suspended.add(p);
        w.note(`${g.name} processes suspended: ${[...g.suspended].join(', ')}`);
        return {};
      },
      ResumeProcessesCommand: (i: { AutoScalingGroupName: string; ScalingProcesses?: string[] }) => {
        const g = w.groups.get(i.AutoScalingGroupName);
        if (!g) throw new SimAwsError('ValidationError', `AutoScalingGroup name not found - ${i.AutoScalingGroupName}`);
        for (const p of i.ScalingProcesses ?? [...(g.suspended ?? [])]) g.suspended?.delete(p);
        w.note(`${g.name} processes resumed`);
        return {};
      },
      DescribeLifecycleHooksCommand: (i: { AutoScalingGroupName: string }) => {
        const g = w.groups.get(i.AutoScalingGroupName);
        if (!g) throw new SimAwsError('ValidationError', `Group ${i.AutoScalingGroupName} not found`);
        return {
          LifecycleHooks: (g.hooks ?? []).map((h) => ({
            LifecycleHookName: h.name,
            AutoScalingGroupName: g.name,
            LifecycleTransition: h.transition === 'launch' ? 'autoscaling:EC2_INSTANCE_LAUNCHING' : 'autoscaling:EC2_INSTANCE_TERMINATING',
            HeartbeatTimeout: h.heartbeatTimeout,
            DefaultResult: h.defaultResult,
          })),
        };
      },
      DescribeAutoScalingGroupsCommand: (i: { AutoScalingGroupNames?: string[] }) => ({
        AutoScalingGroups: (i.AutoScalingGroupNames ?? [...w.groups.keys()])
          .filter((n) => w.groups.has(n))
          .map((n) => {
            const g = w.groups.get(n)!;
            return {
              AutoScalingGroupName: g.name,
              AutoScalingGroupARN: g.arn,
              MinSize: g.min,
              MaxSize: g.max,
              DesiredCapacity: g.desired,
              LaunchTemplate: { LaunchTemplateId: g.launchTemplateId, Version: g.launchTemplateVersion },
              TargetGroupARNs: [...g.targetGroupArns],
              HealthCheckType: 'ELB',
              SuspendedProcesses: [...(g.suspended ?? [])].map((ProcessName) => ({ ProcessName, SuspensionReason: 'User suspended' })),
              Instances: g.instances
                .map((id) => w.instances.get(id)!)
                .filter((x) => x.lifecycle !== 'Terminated')
                .map((x) => ({
                  InstanceId: x.id,
                  AvailabilityZone: x.az,
                  LifecycleState: x.lifecycle === 'Terminating' ? 'Terminating' : x.lifecycle,
                  HealthStatus: 'Healthy',
                  LaunchTemplate: { LaunchTemplateId: x.launchTemplateId, Version: String(x.launchTemplateVersion) },
                  ProtectedFromScaleIn: false,
                })),
            };
          }),
      }),
      // Launch activities only, newest first: one per instance the group launched, InProgress
      // until the instance is InService (when it is registered with the group's target groups).
      DescribeScalingActivitiesCommand: (i: { AutoScalingGroupName?: string; MaxRecords?: number }) => {
        const g = i.AutoScalingGroupName ? w.groups.get(i.AutoScalingGroupName) : undefined;
        if (i.AutoScalingGroupName && !g) return { Activities: [] };
        const at = (t: number) => new Date(w.clock.date().getTime() - (w.clock.now - t) * 1000);
        const launched = (g ? g.instances : [...w.groups.values()].flatMap((x) => x.instances)).map((id) => w.instances.get(id)!).filter((x) => x.launchedAt >= 0);
        return {
          Activities: launched
            .sort((a, b) => b.launchedAt - a.launchedAt)
            .slice(0, Math.min(i.MaxRecords ?? 100, 100))
            .map((x) => ({
              ActivityId: `launch-${x.id}`,
              AutoScalingGroupName: x.group ?? undefined,
              Description: `Launching a new EC2 instance: ${x.id}`,
              Cause: 'an instance was started in response to a difference between desired and actual capacity',
              StartTime: at(x.launchedAt),
              ...(x.inServiceAt !== undefined ? { EndTime: at(x.inServiceAt), StatusCode: 'Successful', Progress: 100 } : { StatusCode: 'InProgress', Progress: 30 }),
            })),
        };
      },
      UpdateAutoScalingGroupCommand: (i: {
        AutoScalingGroupName: string;
        MinSize?: number;
        MaxSize?: number;
        DesiredCapacity?: number;
        LaunchTemplate?: { LaunchTemplateId?: string; Version?: string };
      }) => {
        w.updateGroup(i.AutoScalingGroupName, {
          min: i.MinSize,
          max: i.MaxSize,
          desired: i.DesiredCapacity,
          launchTemplate: i.LaunchTemplate ? { id: i.LaunchTemplate.LaunchTemplateId ?? '', version: i.LaunchTemplate.Version ?? '$Default' } : undefined,
        });
        return {};
      },
      CompleteLifecycleActionCommand: (i: { AutoScalingGroupName: string; LifecycleHookName: string; LifecycleActionToken?: string; InstanceId?: string; LifecycleActionResult: string }) => {
        w.completeLifecycleAction(i.AutoScalingGroupName, i.LifecycleHookName, i.LifecycleActionResult as 'CONTINUE' | 'ABANDON', i.LifecycleActionToken, i.InstanceId);
        return {};
      },
      RecordLifecycleActionHeartbeatCommand: (i: { AutoScalingGroupName: string; LifecycleHookName: string; LifecycleActionToken?: string; InstanceId?: string }) => {
        w.recordHeartbeat(i.AutoScalingGroupName, i.LifecycleHookName, i.LifecycleActionToken, i.InstanceId);
        return {};
      },
      SetInstanceHealthCommand: (i: { InstanceId: string; HealthStatus: string; ShouldRespectGracePeriod?: boolean }) => {
        w.setInstanceHealth(i.InstanceId, i.HealthStatus);
        return {};
      },
      TerminateInstanceInAutoScalingGroupCommand: (i: { InstanceId: string; ShouldDecrementDesiredCapacity: boolean }) => {
        const x = w.terminateInGroup(i.InstanceId, i.ShouldDecrementDesiredCapacity);
        return { Activity: { ActivityId: `act-${x.id}`, AutoScalingGroupName: x.group, StatusCode: 'InProgress', Description: `Terminating EC2 instance: ${x.id}` } };
      },
    },
    elbv2: {
      DescribeListenersCommand: (i: { ListenerArns?: string[] }) => ({
        Listeners: (i.ListenerArns ?? []).map((arn) => {
          const l = w.listener(arn);
          return { ListenerArn: l.arn, LoadBalancerArn: l.loadBalancerArn, Port: l.port, Protocol: l.protocol, DefaultActions: w.describeActions(l.defaultActions) };
        }),
      }),
      DescribeRulesCommand: (i: { RuleArns?: string[]; ListenerArn?: string }) => {
        const rules = i.RuleArns ? i.RuleArns.map((a) => w.rule(a)) : [...w.rules.values()].filter((r) => r.listenerArn === w.listener(i.ListenerArn ?? '').arn);
        const listed = rules.map((r) => ({ RuleArn: r.arn, Priority: String(r.priority), Conditions: structuredClone(r.conditions), Actions: w.describeActions(r.actions), IsDefault: false }));
        if (i.ListenerArn) {
          // By listener, the listener's default rule comes too (priority "default", no conditions).
          const l = w.listener(i.ListenerArn);
          listed.push({ RuleArn: `${l.arn.replace(':listener/', ':listener-rule/')}/${hexId(`default-${l.arn}`, 16)}`, Priority: 'default', Conditions: [], Actions: w.describeActions(l.defaultActions), IsDefault: true });
        }
        return { Rules: listed };
      },
      CreateRuleCommand: (i: { ListenerArn: string; Priority: number; Conditions: import('./world.js').Condition[]; Actions: Action[]; Tags?: { Key: string; Value?: string }[] }) => {
        const l = w.listener(i.ListenerArn);
        if (!Number.isInteger(i.Priority) || i.Priority < 1 || i.Priority > 50000) throw new SimAwsError('ValidationError', 'Priority must be between 1 and 50000');
        if ([...w.rules.values()].some((r) => r.listenerArn === l.arn && r.priority === i.Priority)) throw new SimAwsError('PriorityInUse', `Priority '${i.Priority}' is currently in use`);
        w.validateActions(i.Actions);
        const arn = `${l.arn.replace(':listener/', ':listener-rule/')}/${hexId(`rule-${l.arn}-${i.Priority}-${w.clock.now}`)}`;
        w.rules.set(arn, { arn, listenerArn: l.arn, priority: i.Priority, conditions: structuredClone(i.Conditions), actions: structuredClone(i.Actions), tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value ?? ''])) });
        w.note(`rule ${i.Priority} created: ${(i.Conditions[0]?.HostHeaderConfig?.Values ?? []).join(',')} → ${describeForward(w, i.Actions)}`);
        return { Rules: [{ RuleArn: arn, Priority: String(i.Priority), Conditions: structuredClone(i.Conditions), Actions: w.describeActions(i.Actions) }] };
      },
      DeleteRuleCommand: (i: { RuleArn: string }) => {
        const r = w.rule(i.RuleArn);
        w.rules.delete(r.arn);
        w.note(`rule ${r.priority} deleted`);
        return {};
      },
      ModifyListenerCommand: (i: { ListenerArn: string; DefaultActions?: Action[] }) => {
        const l = w.listener(i.ListenerArn);
        if (i.DefaultActions) {
          w.validateActions(i.DefaultActions);
          l.defaultActions = structuredClone(i.DefaultActions);
          w.routeChanges.push({ t: w.clock.now, arn: l.arn, actions: structuredClone(i.DefaultActions) });
          w.note(`listener ${l.port} default action → ${describeForward(w, l.defaultActions)}`);
        }
        return { Listeners: [{ ListenerArn: l.arn, DefaultActions: w.describeActions(l.defaultActions) }] };
      },
      ModifyRuleCommand: (i: { RuleArn: string; Actions?: Action[] }) => {
        const r = w.rule(i.RuleArn);
        if (i.Actions) {
          w.validateActions(i.Actions);
          r.actions = structuredClone(i.Actions);
          w.routeChanges.push({ t: w.clock.now, arn: r.arn, actions: structuredClone(i.Actions) });
          w.note(`rule ${r.priority} → ${describeForward(w, r.actions)}`);
        }
        return { Rules: [{ RuleArn: r.arn, Actions: w.describeActions(r.actions) }] };
      },
      DescribeTargetHealthCommand: (i: { TargetGroupArn: string }) => {
        const tg = w.targetGroup(i.TargetGroupArn);
        return {
          TargetHealthDescriptions: [...tg.targets.values()].map((t) => ({
            Target: { Id: t.id, Port: tg.port },
            HealthCheckPort: String(tg.port),
            TargetHealth: { State: t.state, ...(t.reason ? { Reason: t.reason } : {}) },
          })),
        };
      },
      DescribeTargetGroupsCommand: (i: { TargetGroupArns?: string[] }) => ({
        TargetGroups: (i.TargetGroupArns ?? [...w.targetGroups.keys()]).map((arn) => {
          const tg = w.targetGroup(arn);
          return {
            TargetGroupArn: tg.arn,
            TargetGroupName: tg.name,
            Port: tg.port,
            Protocol: 'HTTP',
            HealthCheckIntervalSeconds: tg.healthCheck.intervalSeconds,
            HealthyThresholdCount: tg.healthCheck.healthyThresholdCount,
            UnhealthyThresholdCount: tg.healthCheck.unhealthyThresholdCount,
          };
        }),
      }),
    },
    cloudwatch: {
      DescribeAlarmsCommand: (i: { AlarmNames?: string[]; MaxRecords?: number; AlarmTypes?: string[] }) => {
        if ((i.AlarmNames?.length ?? 0) > 100) throw new SimAwsError('ValidationError', 'The collection AlarmNames must not have a size greater than 100.');
        const list = (i.AlarmNames ?? [...w.ec2.alarms.keys()]).map((n) => w.ec2.alarms.get(n)).filter((a) => !!a);
        // Without AlarmTypes only metric alarms are returned, even if composite alarms exist.
        const types = i.AlarmTypes?.length ? i.AlarmTypes : ['MetricAlarm'];
        const shown = (a: (typeof list)[number]) => ({
          AlarmName: a.name,
          StateValue: a.state,
          StateReason: a.state === 'ALARM' ? 'Threshold Crossed' : a.state === 'OK' ? 'Threshold not crossed' : 'Insufficient Data',
        });
        return {
          MetricAlarms: types.includes('MetricAlarm') ? list.filter((a) => !a.composite).map(shown) : [],
          CompositeAlarms: types.includes('CompositeAlarm') ? list.filter((a) => a.composite).map(shown) : [],
        };
      },
      PutMetricAlarmCommand: (i: { AlarmName: string; MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: string }[] }) => {
        const instanceId = i.Dimensions?.find((d) => d.Name === 'InstanceId')?.Value;
        if (i.Namespace !== 'AWS/EC2' || i.MetricName !== 'StatusCheckFailed' || !instanceId)
          throw new SimAwsError('InvalidParameterValue', 'the simulator models alarms on AWS/EC2 StatusCheckFailed with an InstanceId dimension only');
        w.ec2.putAlarm(i.AlarmName, instanceId);
        return {};
      },
    },
    sfn: {
      StartExecutionCommand: (i: { stateMachineArn: string; name?: string; input?: string }) => sfn.startExecution(i),
      DescribeExecutionCommand: (i: { executionArn: string }) => sfn.describeExecution(i),
      DescribeStateMachineCommand: (i: { stateMachineArn: string }) => sfn.describeStateMachine(i),
      SendTaskSuccessCommand: (i: { taskToken: string; output: string }) => sfn.sendTaskSuccess(i),
      SendTaskFailureCommand: (i: { taskToken: string; error?: string; cause?: string }) => sfn.sendTaskFailure(i),
      StopExecutionCommand: (i: { executionArn: string; error?: string; cause?: string }) => sfn.stopExecution(i),
      ListExecutionsCommand: (i: { stateMachineArn: string; statusFilter?: string; maxResults?: number }) => sfn.listExecutions(i),
    },
    dynamodb: {
      DescribeTableCommand: (i: { TableName: string }) => {
        const t = w.dynamodb.tables.get(i.TableName);
        if (!t) throw new SimAwsError('ResourceNotFoundException', `Requested resource not found: Table: ${i.TableName} not found`);
        return { Table: { TableName: t.name, TableStatus: 'ACTIVE', ItemCount: t.items.size, KeySchema: [{ AttributeName: t.hash, KeyType: 'HASH' }, ...(t.range ? [{ AttributeName: t.range, KeyType: 'RANGE' }] : [])] } };
      },
      GetItemCommand: (i) => w.dynamodb.getItem(i),
      PutItemCommand: (i) => w.dynamodb.putItem(i),
      UpdateItemCommand: (i) => w.dynamodb.updateItem(i),
      DeleteItemCommand: (i) => w.dynamodb.deleteItem(i),
      QueryCommand: (i) => w.dynamodb.query(i),
    },
    events: {
      // PutEvents: up to 10 entries, 256 KB in all; each entry is accepted or gets an error code.
      PutEventsCommand: (i: { Entries: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; EventBusName?: string }[] }) => {
        if (!i.Entries?.length || i.Entries.length > 10) throw new SimAwsError('ValidationException', '1 validation error detected: Value at \'entries\' failed to satisfy constraint: Member must have length less than or equal to 10');
        const Entries = i.Entries.map((e, k) => {
          let detail: Record<string, unknown>;
          try {
            detail = JSON.parse(e.Detail ?? '');
          } catch {
            return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
          }
          if (!e.Source || !e.DetailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source and DetailType are required.' };
          w.published.push({ t: w.clock.now, source: e.Source, detailType: e.DetailType, detail });
          w.onPutEvent({ source: e.Source, 'detail-type': e.DetailType, detail, resources: e.Resources ?? [] });
          return { EventId: hexId(`put-${w.published.length}-${k}`, 32) };
        });
        return { Entries, FailedEntryCount: Entries.filter((e) => 'ErrorCode' in e).length };
      },
    },
    sns: {
      PublishCommand: (i: { TopicArn: string; Message: string; Subject?: string; MessageAttributes?: Record<string, { DataType: string; StringValue?: string }> }) => {
        if (!w.snsTopics.has(i.TopicArn)) throw new SimAwsError('NotFound', 'Topic does not exist', 404);
        if (Buffer.byteLength(i.Message) > 256 * 1024) throw new SimAwsError('InvalidParameter', 'Invalid parameter: Message too long');
        // Subjects: no line breaks or control characters, and less than 100 characters.
        // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the rule being modelled.
        if (i.Subject !== undefined && (i.Subject.length >= 100 || /[\u0000-\u001f\u007f]/.test(i.Subject))) throw new SimAwsError('InvalidParameter', 'Invalid parameter: Subject');
        const attributes = Object.fromEntries(Object.entries(i.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']));
        w.snsMessages.push({ t: w.clock.now, topicArn: i.TopicArn, subject: i.Subject, message: i.Message, attributes });
        return { MessageId: hexId(`sns-${w.snsMessages.length}`, 32) };
      },
    },
  };
}

function describeForward(w: World, actions: Action[]): string {
  const f = w.describeActions(actions).find((a) => a.Type === 'forward');
  return (f?.ForwardConfig?.TargetGroups ?? []).map((g) => `${w.targetGroups.get(g.TargetGroupArn ?? '')?.name ?? g.TargetGroupArn} ${g.Weight}`).join(', ');
}

export const SIM_ACCOUNT = ACCOUNT;
export const SIM_REGION = REGION;

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

function describeInstance(x: import('./world.js').Instance) {
  return {
    InstanceId: x.id,
    ImageId: x.imageId,
    State: { Name: x.state },
    PrivateIpAddress: x.privateIp,
    LaunchTime: new Date(Date.parse('2026-01-05T09:00:00Z') + Math.round(x.launchedAt * 1000)),
    LaunchTemplate: x.launchTemplateId ? { LaunchTemplateId: x.launchTemplateId, Version: String(x.launchTemplateVersion) } : undefined,
    Tags: Object.entries(x.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** Stop/Start/TerminateInstances answer with each instance's previous and current state. */
function stateChanges(w: World, ids: string[], change: (x: import('./world.js').Instance) => void) {
  return ids.map((id) => {
    const x = w.ec2.instance(id);
    const before = x.state;
    change(x);
    return { InstanceId: id, PreviousState: { Name: before }, CurrentState: { Name: x.state } };
  });
}

let commandNames: Set<string> | undefined;
/** Every command the simulator answers, without "Command" (e.g. ModifyListener). */
export function simulatedCommands(): Set<string> {
  commandNames ??= new Set(Object.values(simApi({} as World, NO_STEP_FUNCTIONS)).flatMap((t) => Object.keys(t).map((k) => k.replace(/Command$/, ''))));
  return commandNames;
}
