import { type Config, STACK_TAG } from '../core/config.js';
import { ACCOUNT, REGION, type World } from './world.js';

// iam.scope: tags in the simulated account: the operator's tags on the resources the config names.

/** The greenlight:stack tag value of the simulated stack (iam.scope: tags). */
export const SIM_STACK = 'sim';

/**
 * iam.scope: tags: the operator has tagged every resource the config names greenlight:stack=sim
 * (groups with PropagateAtLaunch, so their instances and container instances carry it too),
 * except those the scenario leaves untagged.
 */
export function tagConfigured(world: World, config: Config, untagged: Set<string>) {
  const tag = (arn: string, id: string) => {
    if (untagged.has(id)) return;
    const rule = world.elb.rules.get(arn);
    if (rule) rule.tags = { ...rule.tags, [STACK_TAG]: SIM_STACK };
    else world.resourceTags.set(arn, { ...world.resourceTags.get(arn), [STACK_TAG]: SIM_STACK });
  };
  const group = (name: string | undefined) => {
    const g = name ? world.groups.get(name) : undefined;
    if (g) tag(g.arn, g.name);
  };
  for (const [name, app] of Object.entries(config.apps)) {
    if ('launchTemplateId' in app) {
      const id = app.launchTemplateId;
      if (!untagged.has(`launch-template:${world.launchTemplates.get(id)?.name}`)) tag(`arn:aws:ec2:${REGION}:${ACCOUNT}:launch-template/${id}`, id);
    }
    if (app.kind === 'eip') {
      tag(`arn:aws:ec2:${REGION}:${ACCOUNT}:elastic-ip/${app.allocationId}`, app.allocationId);
      // The first server, tagged by the operator as greenlight tags the servers it launches.
      for (const i of world.instances.values()) if (i.tags?.['greenlight:app'] === name && !untagged.has(i.id)) i.tags[STACK_TAG] = SIM_STACK;
      continue;
    }
    for (const arn of [app.ruleArn ?? app.listenerArn, app.test?.listenerArn, app.test?.ruleArn]) if (arn) tag(arn, arn);
    if (app.kind === 'asg') for (const c of [app.blue, app.green]) group(c.autoScalingGroupName);
    else
      for (const c of [app.blue, app.green, ...(app.retire?.quiesce?.workers ? [app.retire.quiesce.workers.blue, app.retire.quiesce.workers.green] : [])]) {
        tag(`arn:aws:ecs:${REGION}:${ACCOUNT}:service/${c.cluster}/${c.serviceName}`, c.serviceName);
        group((c as { autoScalingGroupName?: string }).autoScalingGroupName);
      }
  }
}
