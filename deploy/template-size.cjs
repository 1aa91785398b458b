// How many CloudFormation resources `serverless package` makes of a config, before packaging:
// CloudFormation allows 500 per stack, and what grows with the apps is known here. A constant
// part (functions, their versions, log groups and roles, the state machines, the table, the
// bucket, the queue, the alarms) and, per app-dependent piece:
// - each lifecycle hook (deploy/hooks.cjs: two per scaled ECS group);
// - each EventBridge rule of a function (dispatch, guard): the rule and its Lambda permission;
// - each EventBridge rule of a state machine (alarm replacements, lifecycle actions, the
//   reconcile schedule): the rule, and one role per machine and kind of event (the role
//   EventBridge assumes to start the machine, shared by that kind's rules).
// test/template/template.test.ts compares this with the packaged template.
const hooks = require('./hooks.cjs');
const events = require('./events.cjs');

const CONSTANT = 120;
const RESOURCE_LIMIT = 500;

function templateResources(doc) {
  const hookCount = Object.keys(hooks.resourcesFor(doc).Resources).length;
  const functionRules = Object.keys(events.patterns(doc)).length + events.guardPatterns(doc).length;
  // Release machine: alarm rules; capacity machine: lifecycle rules, and its reconcile schedule.
  const machine = [events.alarmPatterns(doc).length, events.lifecyclePatterns(doc).length];
  const schedule = machine[1] ? 1 : 0;
  const machineResources = machine.reduce((n, rules) => n + rules + (rules ? 1 : 0), 0) + schedule * 2;
  return CONSTANT + hookCount + 2 * functionRules + machineResources;
}

/** Why the config's template cannot be deployed (over CloudFormation's resource limit), or null. */
function resourceProblem(doc) {
  const n = templateResources(doc);
  if (n <= RESOURCE_LIMIT) return null;
  const scaled = events.scaledGroups(doc).length / 2;
  return `the stack would have ${n} CloudFormation resources, over the ${RESOURCE_LIMIT} a stack may hold (${scaled} scaled ECS apps take 4 lifecycle hooks each): split the apps across greenlight stacks, one per group: GREENLIGHT_CONFIG_FILE=<group>.yml serverless deploy --stage <group>`;
}

module.exports = { templateResources, resourceProblem, RESOURCE_LIMIT };
