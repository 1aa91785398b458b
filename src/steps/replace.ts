import { describeGroups, markUnhealthy as setUnhealthy } from '../aws/autoscaling.js';
import { appConfig } from '../core/config.js';
import { InvalidInput } from '../core/errors.js';
import type { Release } from '../core/release.js';
import type { Deps } from './deps.js';
import { refuseUnless } from '../core/kinds.js';

// Replace, don't reboot (asg): the alarm named an instance; if it belongs to one of the app's
// groups, Auto Scaling is told it is Unhealthy and replaces it. Nothing else is touched.
export async function markUnhealthy(deps: Deps, input: { release: Release }) {
  const { release } = input;
  const app = appConfig(deps.config, release.app);
  refuseUnless(app, release.app, 'mark-unhealthy');
  if (!('replaceOnAlarms' in app)) throw new InvalidInput(`${release.app} has no instance alarms (replaceOnAlarms)`);
  const names = [app.blue.autoScalingGroupName, app.green.autoScalingGroupName];
  const groups = await describeGroups(deps.clients.autoscaling, names);
  const group = [...groups.values()].find((g) => g.instances.some((i) => i.instanceId === release.instanceId));
  if (!group) throw new InvalidInput(`instance ${release.instanceId} is not in ${names.join(' or ')}: not touching it`);
  const state = group.instances.find((i) => i.instanceId === release.instanceId)!.lifecycleState;
  if (state.startsWith('Terminat')) return { outcome: 'replaced', app: release.app, instanceId: release.instanceId, group: group.name, note: 'already being replaced' };
  await setUnhealthy(deps.clients.autoscaling, release.instanceId!);
  return { outcome: 'replaced', app: release.app, instanceId: release.instanceId, group: group.name };
}
