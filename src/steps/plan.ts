import { listenerRules, type RouteRef, readRoute } from '../aws/elbv2.js';
import { headObject } from '../aws/s3.js';
import { type AppConfig, appConfig, type Colour } from '../core/config.js';
import { AwsResourceNotFound, InvalidInput, LiveColourChanged } from '../core/errors.js';
import { parseReleaseDescription, type Release, releaseDescription } from '../core/release.js';
import { colourWeights, liveColour, other, shadowingRule } from '../core/route.js';
import { planAsg } from './asg.js';
import type { Deps } from './deps.js';
import { planEcs } from './ecs.js';
import { planEip } from './eip.js';
import { rejectIfAlarming } from './guard.js';
import { pinnedRelease } from './pinned.js';
import { routeOf, side } from './sides.js';
import type { Plan } from './types.js';

// Plan: read which colour is live (from the load balancer, the only source of that truth),
// check that the configured resources fit together, and decide what green must become.
// Reads only: a rejection here has made no change.

type RoutedApp = Exclude<AppConfig, { kind: 'eip' }>;

async function finishPlan(deps: Deps, app: RoutedApp, release: Release, route: RouteRef, live: Colour): Promise<Plan> {
  const liveSide = side(app, live);
  const idle = side(app, other(live));
  const kind = app.kind === 'asg' ? await planAsg(deps, app, release, liveSide, idle) : await planEcs(deps, app, release, liveSide, idle);
  // "force": a blue/green even of what is live (e.g. to replace every instance).
  if (release.force) return { kind: app.kind, route, idle, ...kind, alreadyLive: false };
  if (!kind.alreadyLive && (release.action ?? 'release') === 'release' && (await sameContentLive(deps, app, release, live)))
    return { kind: app.kind, route, idle, ...kind, alreadyLive: true, sameContent: true };
  return { kind: app.kind, route, idle, ...kind };
}

/**
 * A re-upload of the artifact that is live: the same app, version and key, another S3 object
 * version with the same SHA-256. Nothing to do (unless the hand-typed input says "force": true).
 */
async function sameContentLive(deps: Deps, app: RoutedApp, release: Release, live: Colour): Promise<boolean> {
  const sha = release.artifact.sha256;
  if (!sha || !release.artifact.key) return false;
  const pinned = parseReleaseDescription(await pinnedRelease(deps, app, live));
  if (!pinned || pinned.app !== release.app || pinned.version !== release.version || pinned.versionId === release.artifact.versionId) return false;
  try {
    return (await headObject(deps.clients.s3, release.artifact.bucket, release.artifact.key, pinned.versionId)).sha256 === sha;
  } catch (err) {
    if (err instanceof AwsResourceNotFound) return false;
    throw err;
  }
}

/** The colour whose launch template version or task definition carries this release. */
async function colourPinnedTo(deps: Deps, app: RoutedApp, release: Release): Promise<Colour> {
  const want = releaseDescription(release);
  for (const colour of ['blue', 'green'] as Colour[]) if ((await pinnedRelease(deps, app, colour)) === want) return colour;
  throw new InvalidInput(`neither colour of ${release.app} runs ${release.version}: cannot roll back a split route to it`);
}

/** A rule-routed app whose rule no request reaches (a rule before it takes them all) is not released to. */
export async function rejectIfShadowed(deps: Deps, app: Exclude<AppConfig, { kind: 'eip' }>): Promise<void> {
  if (!app.ruleArn) return;
  const shadow = shadowingRule(await listenerRules(deps.clients.elbv2, app.listenerArn), app.ruleArn);
  if (shadow)
    throw new InvalidInput(
      `no request reaches ${app.ruleArn}: rule ${shadow.arn} (priority ${shadow.priority}, hosts ${shadow.hosts.join(', ') || 'any'}${shadow.paths.length ? `, paths ${shadow.paths.join(', ')}` : ''}) comes first and matches everything it would; give the app's rule a lower priority number or narrow that rule`,
    );
}

export async function plan(deps: Deps, input: { release: Release }): Promise<Plan> {
  const { release } = input;
  const app = appConfig(deps.config, release.app);
  const action = release.action ?? 'release';
  if (action === 'replace' && app.kind !== 'eip') throw new InvalidInput(`action "replace" is for eip apps; ${release.app} is ${app.kind}`);
  try {
    if (app.kind === 'eip') {
      if (action === 'retire') throw new InvalidInput('retire is for asg and ecs apps');
      return await planEip(deps, app, release);
    }
    const route = routeOf(app);
    if (action === 'release') await rejectIfAlarming(deps, app, release.app);
    await rejectIfShadowed(deps, app);
    const weights = colourWeights(await readRoute(deps.clients.elbv2, route), app);
    const live = liveColour(weights);
    if (action === 'prewarm' && (live === 'blue' || live === 'green'))
      return { kind: app.kind, route, live: { ...side(app, live), version: null, pinned: '', units: 0, capacity: null }, idle: side(app, other(live)), needsCapacity: false, alreadyLive: false };
    if (action === 'retire' && (live === 'blue' || live === 'green')) {
      // Retire: the colour without traffic is the one that goes (`live` in the retire step's terms).
      // A retire that names its colour refuses when that colour takes traffic now.
      if (release.colour && release.colour === live)
        throw new LiveColourChanged(`${release.colour} takes all of ${release.app}'s traffic now: not retiring it (the route changed since the retire was asked for)`);
      const gone = side(app, other(live));
      return { kind: app.kind, route, live: { ...gone, version: null, pinned: '', units: 0, capacity: null }, idle: side(app, live), needsCapacity: false, alreadyLive: false };
    }
    // A retire never proceeds on a route that is split or on nothing; a read may be stale, so
    // this is a moved route (looked at again by the state's Retry), not bad input.
    if (action === 'retire') throw new LiveColourChanged(`the route of ${release.app} is ${live === 'split' ? `split between blue (${weights.blue}) and green (${weights.green})` : 'on no colour'}: not retiring either colour`);
    if (live === 'split' && action === 'rollback') {
      // A rollback from a stopped shift: back to the colour pinned to the rollback's version.
      const target = await colourPinnedTo(deps, app, release);
      return finishPlan(deps, app, release, route, other(target));
    }
    if (live === 'split')
      throw new InvalidInput(`traffic is split between blue (${weights.blue}) and green (${weights.green}); finish or roll back that shift before releasing (greenlight rollback ${release.app})`);
    if (live === 'none') throw new InvalidInput('the route sends no traffic to either colour: point it at the blue target group first');
    return await finishPlan(deps, app, release, route, live);
  } catch (err) {
    // A configured resource that does not exist is a configuration error, found before any change.
    if (err instanceof AwsResourceNotFound) throw new InvalidInput(err.message, { cause: err });
    throw err;
  }
}
