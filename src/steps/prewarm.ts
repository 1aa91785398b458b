import { describeGroups, updateGroup } from '../aws/autoscaling.js';
import type { Release } from '../core/release.js';
import type { Deps } from './deps.js';
import { routedPlan } from './sides.js';
import type { Plan } from './types.js';

// Pre-warm (ECS on EC2 capacity): the idle colour's Auto Scaling group keeps `capacity`
// instances, joined to its cluster, so that the next release only starts tasks (its capacity
// step finds them ready) instead of waiting for instances to boot. 0 lets them go.

export async function prewarm(deps: Deps, input: { release: Release; plan: Plan }) {
  const name = routedPlan(input.plan, 'Prewarm').idle.autoScalingGroupName!;
  const want = input.release.capacity ?? 0;
  const g = (await describeGroups(deps.clients.autoscaling, [name])).get(name)!;
  const c = g.capacity;
  const changed = c.desired !== want || c.min > want || c.max < want;
  if (changed) await updateGroup(deps.clients.autoscaling, name, { desired: want, min: Math.min(c.min, want), max: Math.max(c.max, want) });
  return { colour: input.plan.idle.colour, group: name, desired: want, changed };
}
