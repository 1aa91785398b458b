import { putStatusAlarm } from '../../aws/cloudwatch.js';
import { associateAddress, stopInstance, terminateInstance } from '../../aws/ec2.js';
import { readRoute, writeRoute } from '../../aws/elbv2.js';
import { GreenlightError } from '../../core/errors.js';
import { shiftedActions, shiftSteps } from '../../core/route.js';
import { uploadArtifact } from '../../local/scenario-steps.js';
import type { Deps } from '../../steps/deps.js';
import { prepareCapacity, prepareGreen } from '../../steps/green.js';
import { retireAsg } from '../../steps/kinds/asg.js';
import { retireEcs } from '../../steps/kinds/ecs.js';
import { scheduleFor } from '../../steps/kinds/routed.js';
import { plan as planStep } from '../../steps/plan.js';
import { resolve } from '../../steps/resolve.js';
import type { Account } from '../account.js';
import { dryRunClients, type PlannedCall } from '../dryrun.js';
import { app, type Result } from './shared.js';
import { isRouted, traitsOf } from '../../core/kinds.js';
import { isRoutedPlan } from '../../steps/sides.js';

// `greenlight plan <app> <version>`: a dry run, every change recorded and not sent.

// ---------------------------------------------------------------- plan

/** A dry run of a release: resolve and plan for real (reads only), then every change recorded, not sent. */
export async function plan(account: Account, name: string, version: string): Promise<Result> {
  const a = app(account, name);
  const calls: PlannedCall[] = [];
  const phases: { phase: string; from: number }[] = [];
  const deps: Deps = { ...account.deps(), clients: dryRunClients(account, calls) };
  const mark = (phase: string) => phases.push({ phase, from: calls.length });
  let resolved: Awaited<ReturnType<typeof resolve>>;
  let p: Awaited<ReturnType<typeof planStep>>;
  const staged = account.kind === 'sim' ? stageInSimulator(account, name, version) : null;
  try {
    resolved = await resolve(deps, { app: name, version });
    p = await planStep(deps, { release: resolved.release });
  } catch (err) {
    if (err instanceof GreenlightError && err.name === 'InvalidInput') return { code: 1, text: `rejected: ${err.message}\n`, json: { rejected: err.message, calls: [] } };
    throw err;
  }
  const { release: rel, settings } = resolved;
  const head = [
    ...(staged ? [`(simulator: staged ${staged} without announcing it, as an upload would have put it)`] : []),
    `plan: ${name} ${version} from s3://${rel.artifact.bucket}/${rel.artifact.key} (version ${rel.artifact.versionId}, sha256 ${rel.artifact.sha256 ?? 'none'})`,
    `live: ${p.live.colour} ${p.live.version ?? '(unknown)'}, ${p.live.units} ${traitsOf(a).unit}; the release goes to ${p.idle.colour}`,
  ];
  if (p.alreadyLive) return { code: 0, text: `${head.join('\n')}\nthis exact artifact is already live: a release would change nothing\n`, json: { release: rel, alreadyLive: true, calls: [] } };
  if (p.needsCapacity) {
    mark(`${p.idle.colour}'s cluster capacity`);
    await prepareCapacity(deps, { release: rel, settings, plan: p });
  }
  mark(`${p.idle.colour} on ${version}`);
  const green = await prepareGreen(deps, { release: rel, settings, plan: p });
  if (isRouted(a) && isRoutedPlan(p)) {
    const actions = await readRoute(deps.clients.elbv2, p.route);
    for (const step of shiftSteps(a.traffic)) {
      mark(`once ${p.idle.colour} is healthy (${settings.timeoutSeconds} s at most): ${step.percent}% of traffic${step.bakeSeconds ? `, then bake ${step.bakeSeconds} s` : ''}`);
      await writeRoute(deps.clients.elbv2, p.route, shiftedActions(actions, p.idle.targetGroupArn, p.live.targetGroupArn, step.percent));
    }
    for (const step of scheduleFor(a, p)) {
      mark(`${step.afterSeconds ? `${step.afterSeconds} s after the switch` : 'at the switch'}: ${p.live.colour} down to ${step.units} ${traitsOf(a).unit}`);
      if (a.kind === 'asg') await retireAsg(deps, p, step.units);
      else await retireEcs(deps, p, step.units);
    }
  } else if (a.kind === 'eip' && p.kind === 'eip') {
    // The eip driver's own calls, on the dry-run clients: the new server is the placeholder
    // RunInstances answered with.
    const server = green.instanceId ?? 'i-<new>';
    const smoke = a.smoke.length ? ` and its ${a.smoke.length} smoke check${a.smoke.length > 1 ? 's' : ''} pass` : '';
    mark(`once the new server answers its health check (${settings.timeoutSeconds} s at most)${smoke}: the Elastic IP moves to it`);
    await associateAddress(deps.clients.ec2, a.allocationId, server);
    if (a.replaceOnStatusCheckFailure) await putStatusAlarm(deps.clients.cloudwatch, name, server);
    if (p.live.instanceId) {
      mark(`then: the old server ${p.live.instanceId} is stopped (what a rollback starts again)`);
      await stopInstance(deps.clients.ec2, p.live.instanceId);
      mark(`${settings.keepWarmSeconds} s after the switch: it is terminated, and images beyond retire.keepImages (${a.retire.keepImages}) deregistered`);
      await terminateInstance(deps.clients.ec2, p.live.instanceId);
    }
  }
  const lines = [...head];
  phases.forEach((ph, k) => {
    lines.push(`• ${ph.phase}`);
    for (const c of calls.slice(ph.from, phases[k + 1]?.from ?? calls.length)) lines.push(`    ${c.service}:${c.command} ${JSON.stringify(c.input)}`);
  });
  return { code: 0, text: `${lines.join('\n')}\n`, json: { release: rel, plan: p, phases: phases.map((ph, k) => ({ phase: ph.phase, calls: calls.slice(ph.from, phases[k + 1]?.from ?? calls.length) })) } };
}

/**
 * What a release of `version` would change against live, as a unified diff: the task definition
 * (ecs) or the launch template's artifact fields (asg, eip), live colour's against the one the
 * release would register (the same dry run as plan: nothing is changed).
 */

/** On the simulator, a plan of a version nobody uploaded yet stages its artifact first. */
function stageInSimulator(account: Account, name: string, version: string): string | null {
  const { world, scenario } = account.session!;
  const spec = scenario.apps.find((x) => x.name === name);
  if (!spec || [...(world.s3.buckets.get(account.names.bucket)?.objects.keys() ?? [])].some((k) => k.startsWith(`releases/${name}/${version}.`))) return null;
  return `s3://${account.names.bucket}/${uploadArtifact(world, spec, version, undefined, false)}`;
}
