import * as SDK from '@aws-sdk/client-ecs';
import { SimAwsError } from '../errors.js';
import { ACCOUNT, REGION, type World } from '../world.js';
import { defineService } from './service.js';

// ECS, as the simulator answers it: the commands greenlight and its CLI call.

export const ecs = defineService({
  name: 'ecs',
  iamPrefix: 'ecs',
  sdk: SDK,
  baseException: 'ECSServiceException',
  faults: { throttle: ['ThrottlingException', 400], 'server-error': ['ServerException', 500], 'access-denied': ['AccessDeniedException', 400] },
  commands: (w: World, _sfn) => ({
    DescribeServicesCommand: (i: { cluster?: string; services: string[]; include?: string[] }) => {
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
          ...(i.include?.includes('TAGS') ? { tags: Object.entries(w.tagsOf(svc.arn)).map(([key, value]) => ({ key, value })) } : {}),
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
          registeredAt: w.clock.dateAt(c.registeredAt),
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
  }),
});
