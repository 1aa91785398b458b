import { describeGroups, lifecycleHookNames } from '../../aws/autoscaling.js';
import { tableStatus } from '../../aws/dynamodb.js';
import { addressOf, launchTemplateTags, launchTemplateVersions } from '../../aws/ec2.js';
import { describeServices, serviceTags } from '../../aws/ecs.js';
import { existingTargetGroups, readRoute, resourceTags } from '../../aws/elbv2.js';
import { bucketVersioning } from '../../aws/s3.js';
import { stateMachineExists } from '../../aws/sfn.js';
import { LAUNCH_HOOK, TERMINATE_HOOK } from '../../core/capacity.js';
import { type AppConfig, type Colour, stackTags } from '../../core/config.js';
import { colourWeights, liveColour, other } from '../../core/route.js';
import { rejectIfShadowed } from '../../steps/kinds/routed.js';
import { routeOf, side } from '../../steps/sides.js';
import type { Account } from '../account.js';
import { app, type Result } from './shared.js';

// `greenlight verify <app>`: OK / NG / SKIP for every resource the app's config names.

// ---------------------------------------------------------------- verify

type Check = { check: string; status: 'OK' | 'NG' | 'SKIP'; detail: string };

/**
 * OK / NG / SKIP for every resource the app's config names, and greenlight's own.
 * Long: one check per configured resource, in the order an operator reads them; each is a few lines and needs the ones before it.
 */
export async function verify(account: Account, name: string): Promise<Result> {
  const a = app(account, name);
  const checks: Check[] = [];
  const run = async (check: string, fn: () => Promise<Omit<Check, 'check'>>) => {
    try {
      checks.push({ check, ...(await fn()) });
    } catch (err) {
      checks.push({ check, status: 'NG', detail: (err as Error).message });
    }
  };
  const { clients, names } = account;
  await run('artifact bucket versioned', async () => {
    const v = await bucketVersioning(clients.s3, names.bucket);
    return v === 'Enabled' ? { status: 'OK', detail: names.bucket } : { status: 'NG', detail: `${names.bucket} versioning is ${v}: enable it so every release pins one object version` };
  });
  await run('lock and history table', async () => ({ status: 'OK', detail: `${names.table} ${await tableStatus(clients.dynamodb, names.table)}` }));
  await run('release state machine', async () =>
    (await stateMachineExists(clients.sfn, names.releaseStateMachineArn)) ? { status: 'OK', detail: names.releaseStateMachineArn } : { status: 'NG', detail: `${names.releaseStateMachineArn} not found: deploy greenlight` },
  );
  if (a.kind === 'eip') {
    await run('elastic ip', async () => {
      const addr = await addressOf(clients.ec2, a.allocationId);
      return addr.instanceId ? { status: 'OK', detail: `${a.allocationId} ${addr.publicIp} → ${addr.instanceId}` } : { status: 'NG', detail: `${a.allocationId} is not associated with a server` };
    });
    await run('launch template', async () => {
      const [v] = await launchTemplateVersions(clients.ec2, a.launchTemplateId, ['$Default']);
      return v ? { status: 'OK', detail: `${a.launchTemplateId} default version ${v.versionNumber}` } : { status: 'NG', detail: `${a.launchTemplateId} has no default version` };
    });
  } else {
    const route = routeOf(a);
    await run(a.ruleArn ? 'listener rule' : 'listener', async () => {
      const w = colourWeights(await readRoute(clients.elbv2, route), a);
      const live = liveColour(w);
      return live === 'none' ? { status: 'NG', detail: 'forwards to neither colour: point it at the blue target group' } : { status: 'OK', detail: `${a.ruleArn ?? a.listenerArn}: blue ${w.blue} / green ${w.green}` };
    });
    if (a.ruleArn)
      await run('rule precedence', async () => {
        await rejectIfShadowed(account.deps(), a);
        return { status: 'OK', detail: `no rule before ${a.ruleArn} takes all of its requests` };
      });
    await run('target groups', async () => {
      const arns = [a.blue.targetGroupArn, a.green.targetGroupArn];
      const found = await existingTargetGroups(clients.elbv2, arns);
      const missing = arns.filter((x) => !found.has(x));
      return missing.length ? { status: 'NG', detail: `not found: ${missing.join(', ')}` } : { status: 'OK', detail: 'blue and green exist' };
    });
    if (a.kind === 'asg') {
      await run('launch template', async () => {
        const [v] = await launchTemplateVersions(clients.ec2, a.launchTemplateId, ['$Latest']);
        return v ? { status: 'OK', detail: `${a.launchTemplateId} latest version ${v.versionNumber}` } : { status: 'NG', detail: `${a.launchTemplateId} not found` };
      });
    }
    for (const colour of ['blue', 'green'] as Colour[]) {
      const s = side(a, colour);
      if (s.autoScalingGroupName) {
        await run(`${colour} auto scaling group`, async () => {
          const g = (await describeGroups(clients.autoscaling, [s.autoScalingGroupName!])).get(s.autoScalingGroupName!);
          if (!g) return { status: 'NG', detail: `${s.autoScalingGroupName} not found` };
          if (a.kind === 'asg' && !g.targetGroupArns.includes(s.targetGroupArn)) return { status: 'NG', detail: `${g.name} is not attached to ${colour}'s target group` };
          if (a.kind === 'asg' && g.launchTemplateId !== a.launchTemplateId) return { status: 'NG', detail: `${g.name} uses ${g.launchTemplateId ?? 'no launch template'}, not ${a.launchTemplateId}` };
          // iam.scope: tags: greenlight's roles may change the group only if it carries the stack's tag.
          const want = stackTags(account.config);
          const lacking = Object.entries(want).filter(([k, v]) => g.tags[k] !== v);
          if (lacking.length) return { status: 'NG', detail: `${g.name} lacks the tag ${lacking.map(([k, v]) => `${k}=${v}`).join(', ')} (iam.scope: tags): tag it in your infrastructure code${a.kind === 'ecs' ? ', with PropagateAtLaunch' : ''}` };
          return { status: 'OK', detail: `${g.name} desired ${g.capacity.desired} (min ${g.capacity.min}, max ${g.capacity.max})` };
        });
        await run(`${colour} lifecycle hooks`, async () => {
          if (a.kind !== 'ecs' || !a.scaling) return { status: 'SKIP', detail: 'only ECS apps whose task count follows the group use hooks' };
          const hooks = await lifecycleHookNames(clients.autoscaling, s.autoScalingGroupName!);
          const missing = [LAUNCH_HOOK, TERMINATE_HOOK].filter((h) => !hooks.includes(h));
          return missing.length ? { status: 'NG', detail: `${s.autoScalingGroupName} lacks ${missing.join(', ')} (deployed by greenlight's stack)` } : { status: 'OK', detail: hooks.join(', ') };
        });
      }
      if (a.kind === 'ecs') {
        await run(`${colour} ecs service`, async () => {
          const svc = (await describeServices(clients.ecs, s.cluster!, [s.serviceName!])).get(s.serviceName!);
          if (!svc) return { status: 'NG', detail: `${s.cluster}/${s.serviceName} not found` };
          if (!svc.targetGroupArns.includes(s.targetGroupArn)) return { status: 'NG', detail: `${s.serviceName} is not registered with ${colour}'s target group` };
          return { status: 'OK', detail: `${s.cluster}/${s.serviceName} ${svc.runningCount}/${svc.desiredCount} running, ${svc.taskDefinition.split('/').pop()}` };
        });
      }
    }
    if (a.kind === 'asg' || a.kind === 'ecs') {
      await run('idle colour', async () => {
        const w = colourWeights(await readRoute(clients.elbv2, route), a);
        const live = liveColour(w);
        return live === 'blue' || live === 'green' ? { status: 'OK', detail: `${other(live)} is idle and receives the next release` } : { status: 'SKIP', detail: `route is ${live}` };
      });
    }
  }
  if (account.config.iam.scope === 'tags') await run('stack tag', () => stackTagCheck(account, a));
  const ng = checks.filter((c) => c.status === 'NG').length;
  const text = `${checks.map((c) => `${c.status.padEnd(4)} ${c.check.padEnd(28)} ${c.detail}`).join('\n')}\n${ng ? `${ng} NG` : 'all OK'}\n`;
  return { code: ng ? 1 : 0, text, json: { app: name, ok: ng === 0, checks } };
}

/**
 * iam.scope: tags: every resource of the app that greenlight changes (besides its groups, checked
 * above) carries the stack's tag, or greenlight's roles may not change it: the production and
 * test listener or rule, the launch template, the ECS services, the Elastic IP.
 */
async function stackTagCheck(account: Account, a: AppConfig): Promise<Omit<Check, 'check'>> {
  const { clients } = account;
  const want = Object.entries(stackTags(account.config));
  const lacking: string[] = [];
  const look = (what: string, tags: Record<string, string> | undefined) => {
    if (!tags || want.some(([k, v]) => tags[k] !== v)) lacking.push(what);
  };
  if ('launchTemplateId' in a) look(`launch template ${a.launchTemplateId}`, await launchTemplateTags(clients.ec2, a.launchTemplateId));
  if (a.kind === 'eip') look(`Elastic IP ${a.allocationId}`, (await addressOf(clients.ec2, a.allocationId)).tags);
  else {
    const routes = [a.ruleArn ?? a.listenerArn, a.test?.ruleArn ?? a.test?.listenerArn].filter((x): x is string => !!x);
    const tags = await resourceTags(clients.elbv2, routes);
    for (const arn of routes) look(arn.includes(':listener-rule/') ? `rule ${arn}` : `listener ${arn}`, tags.get(arn));
    if (a.kind === 'ecs') {
      // The colours' services, and the queue workers' that retire.quiesce hands counts over.
      const workers = a.retire.quiesce?.workers;
      const services = [a.blue, a.green, ...(workers ? [workers.blue, workers.green] : [])];
      // One DescribeServices per cluster (Fargate colours often share one).
      for (const cluster of new Set(services.map((c) => c.cluster))) {
        const names = services.filter((c) => c.cluster === cluster).map((c) => c.serviceName);
        const tags = await serviceTags(clients.ecs, cluster, names);
        for (const n of names) look(`ECS service ${cluster}/${n}`, tags.get(n));
      }
    }
  }
  const tag = want.map(([k, v]) => `${k}=${v}`).join(', ');
  return lacking.length
    ? { status: 'NG', detail: `${lacking.join('; ')} lack${lacking.length === 1 ? 's' : ''} the tag ${tag} (iam.scope: tags): tag ${lacking.length === 1 ? 'it' : 'them'} in your infrastructure code, or greenlight's roles may not change ${lacking.length === 1 ? 'it' : 'them'}` }
    : { status: 'OK', detail: `the app's listener or rule, launch template, services and address carry ${tag}` };
}
