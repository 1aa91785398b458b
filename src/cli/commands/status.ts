import { describeGroups } from '../../aws/autoscaling.js';
import { readLock } from '../../aws/dynamodb.js';
import { addressOf, describeInstances, launchTemplateVersions } from '../../aws/ec2.js';
import { describeServices, describeTaskDefinition } from '../../aws/ecs.js';
import { readRoute, targetHealth } from '../../aws/elbv2.js';
import type { AppConfig, Colour, RoutedAppConfig } from '../../core/config.js';
import type { LockState } from '../../core/lock.js';
import { parseReleaseDescription } from '../../core/release.js';
import { colourWeights, shiftSteps } from '../../core/route.js';
import { RELEASE_TAG } from '../../steps/kinds/ecs.js';
import { routeOf, side } from '../../steps/sides.js';
import type { Account } from '../account.js';
import { app, percentOf, type Result, runningExecutions } from './shared.js';
import { isRouted } from '../../core/kinds.js';

// `greenlight status [app]`: the live colour and version, traffic per colour in percent,
// capacity and health, and the running release's phase in words.

// ---------------------------------------------------------------- status

interface ColourStatus {
  colour: string;
  weight: number | null;
  /** The share of production traffic, in percent of the forward action's total weight. */
  percent?: number;
  version: string | null;
  capacity: string;
  healthy: string;
}

export async function status(account: Account, only?: string): Promise<Result> {
  const names = only ? [only] : Object.keys(account.config.apps);
  for (const n of names) app(account, n);
  const running = await runningExecutions(account);
  const apps = [];
  for (const name of names) {
    const a = app(account, name);
    const lock = await readLock(account.clients.dynamodb, account.names.table, name);
    const colours = isRouted(a) ? await routedStatus(account, a) : await eipStatus(account, a, name);
    const live = colours.filter((c) => (c.weight ?? 0) > 0);
    const step = stepOf(a, lock, colours, account.now());
    apps.push({
      app: name,
      kind: a.kind,
      live: live.length === 1 ? { colour: live[0].colour, version: live[0].version } : null,
      colours,
      lock: lock.owner ? { execution: lock.owner.split(':').pop(), version: lock.ownerVersion, phase: lock.phase, leaseUntil: new Date((lock.leaseUntil ?? 0) * 1000).toISOString() } : null,
      waiting: lock.waiter ? { execution: lock.waiter.split(':').pop(), version: lock.waiterVersion } : null,
      running: running.filter((e) => e.app === name).map((e) => ({ execution: e.name, started: e.startDate?.toISOString() })),
      phase: phaseOf(name, lock, step, account.now(), isRouted(a) && a.judge ? a.judge.metrics : undefined),
      step,
    });
  }
  const lines: string[] = [];
  for (const s of apps) {
    const shares = s.colours.filter((c) => c.percent !== undefined && c.percent > 0).map((c) => `${c.colour} ${c.percent}%`);
    lines.push(`${s.app} (${s.kind})  live: ${s.live ? `${s.live.colour} ${s.live.version ?? '(not released by greenlight)'}` : shares.length ? `split: ${shares.join(' / ')}` : 'none (the route sends nothing to either colour)'}`);
    for (const c of s.colours)
      lines.push(`  ${c.colour.padEnd(12)} ${c.percent === undefined ? '      ' : `${String(c.percent).padStart(4)}% `} ${(c.version ?? '-').padEnd(12)} ${c.capacity.padEnd(28)} ${c.healthy}`);
    if (s.phase) lines.push(`  phase: ${s.phase}`);
    lines.push(`  lock: ${s.lock ? `${s.lock.execution} (${s.lock.version}, ${s.lock.phase})` : 'free'}${s.waiting ? `; waiting: ${s.waiting.execution} (${s.waiting.version})` : ''}`);
    lines.push(`  running: ${s.running.length ? s.running.map((r) => `${r.execution} since ${r.started}`).join(', ') : 'none'}`);
  }
  return { code: 0, text: `${lines.join('\n')}\n`, json: { apps } };
}

async function routedStatus(account: Account, a: RoutedAppConfig): Promise<ColourStatus[]> {
  const { clients } = account;
  const weights = colourWeights(await readRoute(clients.elbv2, routeOf(a)), a);
  const out: ColourStatus[] = [];
  for (const colour of ['blue', 'green'] as Colour[]) {
    const s = side(a, colour);
    const health = await targetHealth(clients.elbv2, s.targetGroupArn);
    const healthy = `${health.filter((t) => t.state === 'healthy').length}/${health.length} healthy`;
    if (a.kind === 'asg') {
      const g = (await describeGroups(clients.autoscaling, [s.autoScalingGroupName!])).get(s.autoScalingGroupName!);
      const [ltv] = g ? await launchTemplateVersions(clients.ec2, a.launchTemplateId, [g.launchTemplateVersion ?? '$Default']) : [];
      const inService = g?.instances.filter((i) => i.lifecycleState === 'InService').length ?? 0;
      out.push({ colour, weight: weights[colour], version: parseReleaseDescription(ltv?.description)?.version ?? null, capacity: g ? `${s.autoScalingGroupName} ${inService}/${g.capacity.desired} InService` : 'group missing', healthy });
    } else {
      const svc = (await describeServices(clients.ecs, s.cluster!, [s.serviceName!])).get(s.serviceName!);
      const td = svc ? await describeTaskDefinition(clients.ecs, svc.taskDefinition) : null;
      out.push({
        colour,
        weight: weights[colour],
        version: parseReleaseDescription(td?.tags[RELEASE_TAG])?.version ?? null,
        capacity: svc ? `${s.serviceName} ${svc.runningCount}/${svc.desiredCount} running` : 'service missing',
        healthy,
      });
    }
  }
  for (const c of out) c.percent = percentOf(c.weight ?? 0, weights);
  return out;
}

/** What the app's running release is doing, in words, with the command that answers it where one does. */
function phaseOf(name: string, lock: LockState, step: ReturnType<typeof stepOf>, now: Date, judged?: string[]): string | null {
  if (!lock.owner) return null;
  const what = `${lock.ownerAction && lock.ownerAction !== 'release' ? `${lock.ownerAction} to ` : ''}${lock.ownerVersion ?? '?'}`;
  if (lock.approvalToken) return `${what} waits for approval: greenlight promote ${name} moves traffic, greenlight abort ${name} rolls it back`;
  if (lock.phase === 'warm') {
    const left = lock.warmUntil !== undefined ? Math.max(0, lock.warmUntil - Math.floor(now.getTime() / 1000)) : null;
    const until = left === null ? '' : ` for ${duration(left)} more`;
    return `${what} is live; the old colour is kept warm${until} for a rollback at once (greenlight rollback ${name}); greenlight retire ${name} ends the window now`;
  }
  if (lock.phase === 'retiring') return `${what} is live; the old colour is being retired`;
  if (step) {
    const bake = step.bakeLeftSeconds === null ? '' : `, ${duration(step.bakeLeftSeconds)} of its ${duration(step.bakeSeconds)} bake left`;
    const judge = judged && step.percent < 100 ? `; at the end of the bake its ${judged.join(' and ')} are judged against the old colour's` : '';
    return `${what} takes ${step.percent}% of traffic: step ${step.step ?? '?'} of ${step.of} (${step.percents.map((p) => `${p}%`).join(' → ')})${bake}${judge}; greenlight abort ${name} rolls it back`;
  }
  return `${what} is being prepared and checked (green comes up, then its health is checked before any traffic moves)`;
}

/** Where a progressive release is while traffic is split: its step, and the step's bake time left (its bake counts from its route write's read-back). */
function stepOf(a: AppConfig, lock: LockState, colours: ColourStatus[], now: Date) {
  if (!lock.owner || !isRouted(a) || colours.filter((c) => (c.percent ?? 0) > 0).length !== 2) return null;
  const steps = shiftSteps(a.traffic);
  const percent = colours.find((c) => c.version === lock.ownerVersion)?.percent ?? 0;
  const k = steps.findIndex((st) => st.percent === Math.round(percent));
  const bakeSeconds = k >= 0 ? steps[k].bakeSeconds : 0;
  const bakeLeftSeconds = k >= 0 && lock.routeLandedAt !== undefined ? Math.max(0, lock.routeLandedAt + bakeSeconds - Math.floor(now.getTime() / 1000)) : null;
  return { step: k >= 0 ? k + 1 : null, of: steps.length, percent, percents: steps.map((st) => st.percent), bakeSeconds, bakeLeftSeconds };
}

/** Seconds in words: "45 s", "5 min". */
function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  return m >= 10 || seconds % 60 === 0 ? `${Math.round(seconds / 60)} min` : `${m} min ${seconds % 60} s`;
}

async function eipStatus(account: Account, a: Extract<AppConfig, { kind: 'eip' }>, name: string): Promise<ColourStatus[]> {
  const { ec2 } = account.clients;
  const address = await addressOf(ec2, a.allocationId);
  const servers = await describeInstances(ec2, { tags: { 'greenlight:app': name }, states: ['pending', 'running', 'stopping', 'stopped'] }).catch(() => []);
  const ids = new Set([...(address.instanceId ? [address.instanceId] : []), ...servers.map((s) => s.instanceId)]);
  const all = ids.size ? await describeInstances(ec2, { instanceIds: [...ids] }) : [];
  return all.map((i) => ({
    colour: i.instanceId,
    weight: i.instanceId === address.instanceId ? 100 : 0,
    version: parseReleaseDescription(i.tags['greenlight:release'])?.version ?? null,
    capacity: `${i.state}${i.instanceId === address.instanceId ? ` at ${address.publicIp}` : ''}`,
    healthy: '',
  }));
}
