// A generated config of `n` apps of mixed kinds (asg, ECS on EC2 with scaling, ECS on Fargate,
// eip), for measuring what the stack's size limits allow (bench, test/template). Each app has its
// own listener, groups, services, launch template and address, and ECS apps their own task and
// execution roles, as separate teams' apps would. With scope tags, the roles live under one IAM
// path (role/apps/), listed once as role/apps/*: IAM has no tag condition for iam:PassRole.
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const hex = (i, len) => i.toString(16).padStart(len, '0');
const elb = (kind, name, i) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:${kind}/app/${name}/${hex(i, 16)}`;

/** `n` apps; with { scope: 'tags' } the policies name resources by the greenlight:stack tag. */
function manyApps(n, { scope = 'names' } = {}) {
  const apps = {};
  const roles = (name) =>
    scope === 'tags' ? [`arn:aws:iam::${ACCOUNT}:role/apps/*`] : [`arn:aws:iam::${ACCOUNT}:role/apps/${name}-task`, `arn:aws:iam::${ACCOUNT}:role/apps/${name}-execution`];
  for (let i = 0; i < n; i++) {
    const listenerArn = `${elb('listener', `alb-${i}`, i)}/${hex(i + 1, 16)}`;
    const tg = (name) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${name}/${hex(i, 16)}`;
    switch (i % 4) {
      case 0:
        apps[`web-${i}`] = {
          kind: 'asg',
          listenerArn,
          launchTemplateId: `lt-${hex(i, 17)}`,
          blue: { autoScalingGroupName: `web-${i}-blue`, targetGroupArn: tg(`web-${i}-blue`) },
          green: { autoScalingGroupName: `web-${i}-green`, targetGroupArn: tg(`web-${i}-green`) },
          artifact: { type: 'ami' },
        };
        break;
      case 1:
        apps[`jobs-${i}`] = {
          kind: 'ecs',
          capacity: 'ec2',
          listenerArn,
          blue: { cluster: `jobs-${i}-blue`, serviceName: `jobs-${i}-blue`, targetGroupArn: tg(`jobs-${i}-blue`), autoScalingGroupName: `jobs-${i}-blue-capacity` },
          green: { cluster: `jobs-${i}-green`, serviceName: `jobs-${i}-green`, targetGroupArn: tg(`jobs-${i}-green`), autoScalingGroupName: `jobs-${i}-green-capacity` },
          scaling: { tasksPerInstance: 2 },
          passRoles: roles(`jobs-${i}`),
        };
        break;
      case 2:
        apps[`api-${i}`] = {
          kind: 'ecs',
          capacity: 'fargate',
          listenerArn,
          blue: { cluster: `api-${i}`, serviceName: `api-${i}-blue`, targetGroupArn: tg(`api-${i}-blue`) },
          green: { cluster: `api-${i}`, serviceName: `api-${i}-green`, targetGroupArn: tg(`api-${i}-green`) },
          passRoles: roles(`api-${i}`),
        };
        break;
      default:
        apps[`site-${i}`] = { kind: 'eip', allocationId: `eipalloc-${hex(i, 17)}`, launchTemplateId: `lt-${hex(i + 1000, 17)}`, artifact: { type: 'ami' } };
    }
  }
  return { ...(scope === 'tags' ? { iam: { scope: 'tags', stack: 'prod' } } : {}), apps, vpc: { subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] } };
}

module.exports = { manyApps };
