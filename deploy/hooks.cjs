// Lifecycle hooks on the Auto Scaling groups of apps whose ECS tasks follow their group
// (ecs apps with `scaling:`). greenlight's stack creates them (separate resources: the groups
// themselves stay with the user's infrastructure code). Names and timeouts mirror
// src/core/capacity.ts, which the simulator uses.
const { load } = require('./config.cjs');

const LAUNCH_HOOK = 'greenlight-launch';
const TERMINATE_HOOK = 'greenlight-terminate';
const TERMINATE_HOOK_HEARTBEAT_SECONDS = 300;

function logicalId(group, kind) {
  return `GreenlightHook${kind}${group.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 255);
}

/** serverless.yml's `${file(./deploy/hooks.cjs):resources}` (it passes its own arguments): the hooks of the loaded config. */
function resources() {
  return resourcesFor(load());
}

function resourcesFor(doc) {
  const out = {};
  for (const app of Object.values(doc?.apps || {})) {
    if (app?.kind !== 'ecs' || !app.scaling) continue;
    const join = app.scaling.joinTimeoutSeconds || 600;
    for (const colour of ['blue', 'green']) {
      const group = app[colour].autoScalingGroupName;
      if (!group) continue;
      // DefaultResult CONTINUE: if greenlight itself is down, instances still launch and
      // terminate; the scheduled reconcile corrects the task counts afterwards.
      out[logicalId(group, 'Launch')] = {
        Type: 'AWS::AutoScaling::LifecycleHook',
        Properties: {
          AutoScalingGroupName: group,
          LifecycleHookName: LAUNCH_HOOK,
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          HeartbeatTimeout: join + 120,
          DefaultResult: 'CONTINUE',
        },
      };
      out[logicalId(group, 'Terminate')] = {
        Type: 'AWS::AutoScaling::LifecycleHook',
        Properties: {
          AutoScalingGroupName: group,
          LifecycleHookName: TERMINATE_HOOK,
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: TERMINATE_HOOK_HEARTBEAT_SECONDS,
          DefaultResult: 'CONTINUE',
        },
      };
    }
  }
  return { Resources: out };
}

module.exports = { resources, resourcesFor, LAUNCH_HOOK, TERMINATE_HOOK, TERMINATE_HOOK_HEARTBEAT_SECONDS };
