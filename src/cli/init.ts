import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { describeGroups } from '../aws/autoscaling.js';
import { describeServices } from '../aws/ecs.js';
import { type RouteRef, readRoute } from '../aws/elbv2.js';
import { parseConfig } from '../core/config.js';
import { forwardWeights } from '../core/route.js';
import type { Account } from './account.js';
import { UsageError } from './scenarios.js';

// greenlight init <app>: an app's entry in greenlight.config.yml, read from the resources that
// exist (the listener or rule, and the two Auto Scaling groups or ECS services), checked as
// `check-config` checks it, and added to the file (which is created if need be). Reads only.

export interface InitOptions {
  app: string;
  listenerArn?: string;
  ruleArn?: string;
  /** An Auto Scaling group name, or cluster/service of an ECS service. */
  blue: string;
  green: string;
  configPath: string;
}

/** listener-rule/app/<lb>/<id>/<listener>/<rule> → listener/app/<lb>/<id>/<listener>. */
export function listenerOfRule(ruleArn: string): string {
  const m = /^(arn:aws[a-z-]*:elasticloadbalancing:[^:]+:\d{12}:)listener-rule\/((?:app|net)\/[^/]+\/[^/]+\/[^/]+)\/[^/]+$/.exec(ruleArn);
  if (!m) throw new UsageError(`--rule ${ruleArn} is not a listener rule ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<lb>/<id>/<listener>/<rule>)`);
  return `${m[1]}listener/${m[2]}`;
}

export async function init(account: Account, o: InitOptions): Promise<{ code: 0 | 1; text: string; json: unknown }> {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(o.app)) throw new UsageError(`app name "${o.app}" is invalid: 1-40 lower-case letters, digits and '-', starting with a letter`);
  if (!!o.listenerArn === !!o.ruleArn) throw new UsageError('name the route: --listener <listener ARN> or --rule <listener rule ARN> (one of them)');
  const ecs = o.blue.includes('/');
  if (ecs !== o.green.includes('/')) throw new UsageError('--blue and --green must both be Auto Scaling groups, or both cluster/service of ECS services');
  const existing = existsSync(o.configPath) ? parseDocument(readFileSync(o.configPath, 'utf8')) : null;
  if (existing?.getIn(['apps', o.app]) !== undefined) throw new UsageError(`${o.configPath} already has an app "${o.app}": remove it first, or choose another name`);
  const route: RouteRef = o.ruleArn ? { listenerArn: listenerOfRule(o.ruleArn), ruleArn: o.ruleArn } : { listenerArn: o.listenerArn! };
  const weights = forwardWeights(await readRoute(account.clients.elbv2, route));
  const app: Record<string, unknown> = { kind: ecs ? 'ecs' : 'asg', listenerArn: route.listenerArn, ...(route.ruleArn ? { ruleArn: route.ruleArn } : {}) };
  const colours: Record<'blue' | 'green', Record<string, unknown>> = { blue: {}, green: {} };
  if (!ecs) {
    const groups = await describeGroups(account.clients.autoscaling, [o.blue, o.green]);
    const lts = new Set([...groups.values()].map((g) => g.launchTemplateId));
    if (lts.size !== 1 || !groups.get(o.blue)!.launchTemplateId) throw new UsageError(`${o.blue} and ${o.green} must launch from one launch template (found ${[...lts].join(', ') || 'none'})`);
    app.launchTemplateId = [...lts][0];
    for (const c of ['blue', 'green'] as const) {
      const g = groups.get(c === 'blue' ? o.blue : o.green)!;
      colours[c] = { autoScalingGroupName: g.name, targetGroupArn: onlyTargetGroup(g.targetGroupArns, `${c} group ${g.name}`) };
    }
    app.artifact = { type: 'ami' };
  } else {
    for (const c of ['blue', 'green'] as const) {
      const [cluster, serviceName] = (c === 'blue' ? o.blue : o.green).split('/');
      const svc = (await describeServices(account.clients.ecs, cluster, [serviceName])).get(serviceName)!;
      colours[c] = { cluster, serviceName, targetGroupArn: onlyTargetGroup(svc.targetGroupArns, `${c} service ${cluster}/${serviceName}`) };
      if (svc.launchType === 'FARGATE' || svc.capacityProviders?.some((p) => p.startsWith('FARGATE'))) app.capacity = 'fargate';
      else app.capacity = 'ec2';
    }
  }
  if (colours.blue.targetGroupArn === colours.green.targetGroupArn) throw new UsageError(`blue and green use one target group (${colours.blue.targetGroupArn}): each colour needs its own`);
  // The route must forward to one of the colours (the live one); the other joins at the first switch.
  const named = (['blue', 'green'] as const).filter((c) => weights.has(colours[c].targetGroupArn as string));
  if (!named.length) throw new UsageError(`the route's forward action names neither ${colours.blue.targetGroupArn} nor ${colours.green.targetGroupArn}: this is not the route of ${o.blue} and ${o.green}`);
  const stray = [...weights].filter(([tg, w]) => w > 0 && tg !== colours.blue.targetGroupArn && tg !== colours.green.targetGroupArn).map(([tg]) => tg);
  if (stray.length) throw new UsageError(`the route also forwards to ${stray.join(', ')}, which is neither colour's target group: greenlight would not know what to do with it`);
  app.blue = colours.blue;
  app.green = colours.green;
  const live = (['blue', 'green'] as const).filter((c) => (weights.get(colours[c].targetGroupArn as string) ?? 0) > 0);
  // The same validation as check-config, on the file as it will be.
  const doc = existing ?? parseDocument('apps: {}\n');
  if (!doc.has('apps')) doc.set('apps', {});
  doc.setIn(['apps', o.app], doc.createNode(app));
  const notes: string[] = [];
  if (app.kind === 'ecs' && app.capacity === 'ec2') notes.push(`ECS on EC2: add autoScalingGroupName (the cluster's capacity group) to apps.${o.app}.blue and .green`);
  try {
    parseConfig(doc.toJS());
  } catch (err) {
    if (!notes.length) throw new UsageError(`the app's entry does not validate: ${(err as Error).message}`);
  }
  writeFileSync(o.configPath, doc.toString());
  const text = [`apps.${o.app} written to ${o.configPath} (live: ${live.join(' and ') || 'neither colour'}):`, stringify({ [o.app]: app }).trimEnd(), ...notes.map((n) => `note: ${n}`), 'next: greenlight check-config, then greenlight verify ' + o.app, ''].join('\n');
  return { code: 0, text, json: { app: o.app, file: o.configPath, entry: app, live, notes } };
}

function onlyTargetGroup(arns: string[], what: string): string {
  if (arns.length !== 1) throw new UsageError(`the ${what} is attached to ${arns.length} target groups (${arns.join(', ') || 'none'}): greenlight needs exactly one per colour`);
  return arns[0];
}
