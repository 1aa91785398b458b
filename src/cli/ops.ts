import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { describeGroups, lifecycleHookNames } from '../aws/autoscaling.js';
import { changeLock, readHistory, readLock, tableStatus } from '../aws/dynamodb.js';
import { addressOf, describeInstances, imageOwnership, launchTemplateVersions } from '../aws/ec2.js';
import { ecrImageExists } from '../aws/ecr.js';
import { describeServices, describeTaskDefinition } from '../aws/ecs.js';
import { existingTargetGroups, readRoute, targetHealth, writeRoute } from '../aws/elbv2.js';
import { bucketVersioning, putObject } from '../aws/s3.js';
import { describeExecution, type ExecutionInfo, listExecutions, startExecution, stateMachineExists, stopExecution } from '../aws/sfn.js';
import { artifactTypeOf, checkKeyMatchesArtifactType, parseAmiManifest, parseReleaseKey } from '../core/artifact.js';
import { LAUNCH_HOOK, TERMINATE_HOOK } from '../core/capacity.js';
import { type AppConfig, appConfig, type Colour } from '../core/config.js';
import { parseEcrImage, parseImageManifest } from '../core/ecs.js';
import { GreenlightError } from '../core/errors.js';
import type { HistoryRecord } from '../core/history.js';
import { abortedLock, type LockState } from '../core/lock.js';
import { executionNameFor, parseReleaseDescription } from '../core/release.js';
import { colourWeights, liveColour, other, shiftedActions, shiftSteps } from '../core/route.js';
import { causeMessage } from '../core/text.js';
import { functionTimeouts } from '../local/definitions.js';
import { uploadArtifact } from '../local/simulate.js';
import { answerApproval } from '../steps/approval.js';
import type { Deps } from '../steps/deps.js';
import { prepareCapacity, prepareGreen } from '../steps/green.js';
import { retireAsg } from '../steps/kinds/asg.js';
import { RELEASE_TAG, retireEcs } from '../steps/kinds/ecs.js';
import { rejectIfShadowed, scheduleFor } from '../steps/kinds/routed.js';
import { plan as planStep } from '../steps/plan.js';
import { resolve } from '../steps/resolve.js';
import { routeOf, side } from '../steps/sides.js';

import type { Account } from './account.js';
import { dryRunClients, type PlannedCall } from './dryrun.js';
import { UsageError } from './scenarios.js';

// The operator's commands. Each returns an exit code and a result: text for people, or the
// same as one JSON document (--json). Exit codes: 0 ok / released; 1 the operation did not
// succeed (rolled back, rejected, superseded, a check is NG); 2 usage; 3 AWS or unexpected error.

export interface Result {
  code: 0 | 1;
  text: string;
  json: unknown;
}

type Routed = Exclude<AppConfig, { kind: 'eip' }>;

export function app(account: Account, name: string): AppConfig {
  try {
    return appConfig(account.config, name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

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
    const colours = a.kind === 'eip' ? await eipStatus(account, a, name) : await routedStatus(account, a);
    const live = colours.filter((c) => (c.weight ?? 0) > 0);
    apps.push({
      app: name,
      kind: a.kind,
      live: live.length === 1 ? { colour: live[0].colour, version: live[0].version } : null,
      colours,
      lock: lock.owner ? { execution: lock.owner.split(':').pop(), version: lock.ownerVersion, phase: lock.phase, leaseUntil: new Date((lock.leaseUntil ?? 0) * 1000).toISOString() } : null,
      waiting: lock.waiter ? { execution: lock.waiter.split(':').pop(), version: lock.waiterVersion } : null,
      running: running.filter((e) => e.app === name).map((e) => ({ execution: e.name, started: e.startDate?.toISOString() })),
      phase: phaseOf(name, a, lock, colours, account.now()),
      step: stepOf(a, lock, colours, account.now()),
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

async function routedStatus(account: Account, a: Routed): Promise<ColourStatus[]> {
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
function phaseOf(name: string, a: AppConfig, lock: LockState, colours: ColourStatus[], now: Date): string | null {
  if (!lock.owner) return null;
  const what = `${lock.ownerAction && lock.ownerAction !== 'release' ? `${lock.ownerAction} to ` : ''}${lock.ownerVersion ?? '?'}`;
  if (lock.approvalToken) return `${what} waits for approval: greenlight promote ${name} moves traffic, greenlight abort ${name} rolls it back`;
  if (lock.phase === 'warm') {
    const left = lock.warmUntil !== undefined ? Math.max(0, lock.warmUntil - Math.floor(now.getTime() / 1000)) : null;
    const until = left === null ? '' : ` for ${duration(left)} more`;
    return `${what} is live; the old colour is kept warm${until} for a rollback at once (greenlight rollback ${name}); greenlight retire ${name} ends the window now`;
  }
  if (lock.phase === 'retiring') return `${what} is live; the old colour is being retired`;
  const step = stepOf(a, lock, colours, now);
  if (step) {
    const bake = step.bakeLeftSeconds === null ? '' : `, ${duration(step.bakeLeftSeconds)} of its ${duration(step.bakeSeconds)} bake left`;
    return `${what} takes ${step.percent}% of traffic: step ${step.step ?? '?'} of ${step.of} (${step.percents.map((p) => `${p}%`).join(' → ')})${bake}; greenlight abort ${name} rolls it back`;
  }
  return `${what} is being prepared and checked (green comes up, then its health is checked before any traffic moves)`;
}

/** Where a progressive release is while traffic is split: its step, and the step's bake time left (its bake counts from its route write's read-back). */
function stepOf(a: AppConfig, lock: LockState, colours: ColourStatus[], now: Date) {
  if (!lock.owner || a.kind === 'eip' || colours.filter((c) => (c.percent ?? 0) > 0).length !== 2) return null;
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

interface Running extends ExecutionInfo {
  app: string | null;
}

async function runningExecutions(account: Account): Promise<Running[]> {
  const list = await listExecutions(account.clients.sfn, account.names.releaseStateMachineArn, 'RUNNING');
  const out: Running[] = [];
  for (const e of list.slice(0, 20)) {
    const d = await describeExecution(account.clients.sfn, e.executionArn);
    out.push({ ...d, app: appOfInput(d.input) });
  }
  return out;
}

function appOfInput(input: string | undefined): string | null {
  try {
    const i = JSON.parse(input ?? '');
    if (typeof i.app === 'string') return i.app;
    const key: string | undefined = i.detail?.object?.key;
    return key ? (/^releases\/([^/]+)\//.exec(decodeURIComponent(key))?.[1] ?? null) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- history

export async function history(account: Account, name: string, limit: number): Promise<Result> {
  app(account, name);
  const records = await readHistory(account.clients.dynamodb, account.names.table, name, limit);
  const cv = (c: HistoryRecord['before']) => (c ? `${c.colour} ${c.version ?? '?'}` : '-');
  // A retire or prewarm that succeeded moved no traffic: its word is what it did, its colours are in its reason.
  const moves = (r: HistoryRecord) => (r.action === 'retire' || r.action === 'prewarm' ? '' : ` ${cv(r.before)} → ${cv(r.after)}`);
  const lines = records.map(
    (r) =>
      `${`${r.startedAt}  ${r.action.padEnd(8)} ${r.version.padEnd(12)} ${doneWord(r.outcome, r.action).padEnd(12)}${moves(r)}${r.artifact ? `  s3v=${r.artifact.versionId}` : ''}`.trimEnd()}${r.reason ? `\n      ${r.reason}` : ''}`,
  );
  return { code: 0, text: records.length ? `${lines.join('\n')}\n` : `no releases of ${name} recorded yet\n`, json: { app: name, releases: records } };
}

/**
 * Wait until the app's running release ends (the lock's owner, else the newest running execution
 * of the app), following it; the exit code is its outcome's (0 released, rolled back by request,
 * retired; 1 otherwise). Nothing running: says so, exit 0.
 */
export async function waitFor(account: Account, name: string): Promise<Result> {
  app(account, name);
  const lock = await readLock(account.clients.dynamodb, account.names.table, name);
  const running = (await runningExecutions(account)).filter((e) => e.app === name);
  const arn = running.find((e) => e.executionArn === lock.owner)?.executionArn ?? running.sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))[0]?.executionArn;
  if (!arn) return { code: 0, text: `no release of ${name} is running\n`, json: { app: name, running: null } };
  return follow(account, name, arn, `waiting for ${arn.split(':').pop()}\n`);
}

// ---------------------------------------------------------------- release, rollback, retire, abort

export async function release(account: Account, name: string, source: string, opts: { version?: string; wait: boolean }): Promise<Result> {
  const a = app(account, name);
  const bucket = account.names.bucket;
  if (source.startsWith('s3://')) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
    if (!m || m[1] !== bucket) throw new UsageError(`${source} is not in greenlight's artifact bucket ${bucket}: upload the file instead (greenlight release ${name} <file>)`);
    const key = parseReleaseKey(m[2]);
    if (key.app !== name) throw new UsageError(`${source} is a release of ${key.app}, not ${name}`);
    await account.beforeChange?.();
    return startAndFollow(account, name, { app: name, version: key.version }, opts.wait);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch (err) {
    throw new UsageError(`cannot read ${source}: ${(err as Error).message}`);
  }
  const { key, ext } = await checkedArtifact(account, name, a, source, bytes.toString('utf8'), opts.version);
  const t0 = account.now().getTime();
  // A bundle goes up byte for byte (a .tar.gz read as text would be corrupted); a manifest as JSON.
  await putObject(account.clients.s3, bucket, key, ext === '.json' ? bytes.toString('utf8') : bytes, ext === '.json' ? 'application/json' : 'application/octet-stream');
  if (!opts.wait) return { code: 0, text: `uploaded s3://${bucket}/${key}\n`, json: { uploaded: `s3://${bucket}/${key}` } };
  // The upload starts the release (S3 → EventBridge → dispatch); find its execution by name.
  const label = executionNameFor({ bucket, key }).replace(/-[0-9a-f]{16}$/, '');
  for (let waited = 0; waited <= 120; waited += 2) {
    const found = (await listExecutions(account.clients.sfn, account.names.releaseStateMachineArn)).find(
      (e) => e.name.startsWith(`${label}-`) && (e.startDate?.getTime() ?? 0) >= t0 - 1000,
    );
    if (found) return follow(account, name, found.executionArn, `uploaded s3://${bucket}/${key}\n`);
    await account.sleep(2);
  }
  return { code: 1, text: `uploaded s3://${bucket}/${key}, but no release execution started within 120 s: check the EventBridge rule and the dispatch function's logs\n`, json: { uploaded: key, execution: null } };
}

/**
 * What `release` uploads, checked first: the file's type against the app's artifact, the
 * manifest against its schema and the version, the AMI it names against the account. A check
 * that fails uploads nothing (exit 2, the fix named).
 */
async function checkedArtifact(account: Account, name: string, a: AppConfig, source: string, body: string, version?: string): Promise<{ key: string; ext: string }> {
  const type = artifactTypeOf(a);
  const fileExt = /(\.tar\.gz|\.tgz|\.zip|\.json)$/.exec(source)?.[1];
  if (type === 'bundle' && fileExt === '.json')
    throw new UsageError(`app "${name}" releases bundles (.tar.gz, .tgz or .zip), not a JSON manifest: give the bundle file; nothing was uploaded`);
  if (type !== 'bundle' && fileExt && fileExt !== '.json')
    throw new UsageError(`app "${name}" releases ${type === 'ami' ? 'AMIs' : 'container images'}: give a JSON manifest (${type === 'ami' ? '{"version","imageId"}' : '{"version","images"}'}), not a ${fileExt} file; nothing was uploaded`);
  const ext = type === 'bundle' ? (fileExt ?? '.tar.gz') : '.json';
  const key = `releases/${name}/${version ?? versionOf(source, body, ext)}${ext}`;
  try {
    const parsed = parseReleaseKey(key);
    checkKeyMatchesArtifactType(parsed, type);
    // The same checks Resolve makes in Lambda, made here before anything is written: first
    // those of the file itself (no AWS call), then the AMI it names (a read).
    const imageId = type === 'ami' ? parseAmiManifest(body, parsed).imageId : undefined;
    const images = type === 'image' ? parseImageManifest(body, parsed).images : {};
    await account.beforeChange?.();
    await checkImagesExist(account, name, source, images);
    if (imageId) {
      const owners = 'allowedImageOwners' in a ? a.allowedImageOwners : ['self'];
      const image = await imageOwnership(account.clients.ec2, imageId, owners);
      if (!image.exists) throw new UsageError(`${source} names ${imageId}, which does not exist in this account and region (or is not shared with it); nothing was uploaded`);
      if (!image.allowed) throw new UsageError(`${source} names ${imageId}, owned by ${image.owner ?? 'another account'}, not by an allowed owner (apps.${name}.allowedImageOwners); nothing was uploaded`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if ((err as Error).name !== 'InvalidInput') throw err;
    throw new UsageError(`${(err as Error).message}; nothing was uploaded (--version <version> names the release)`);
  }
  return { key, ext };
}

/**
 * Each image a manifest names, in ECR (the account's registry in the account's region): does it
 * exist? Images of other registries (Docker Hub, ghcr.io, ECR Public) or other regions are not
 * checked, and the command says so; the release's own pull check then finds a missing one.
 */
async function checkImagesExist(account: Account, name: string, source: string, images: Record<string, string>): Promise<void> {
  const region = await account.clients.ecr.config.region();
  for (const [container, image] of Object.entries(images)) {
    const ref = parseEcrImage(image);
    if (!ref || ref.region !== region) {
      process.stderr.write(`note: ${container}'s image ${image} is not in this region's ECR: not checked before the upload (ECS reports a failed pull)\n`);
      continue;
    }
    const found = await ecrImageExists(account.clients.ecr, ref);
    if (!found.exists) throw new UsageError(`${source} names ${image} for container ${container} of ${name}, which does not exist (${found.why}); push it first; nothing was uploaded`);
  }
}

function versionOf(source: string, body: string, ext: string): string {
  if (ext === '.json') {
    try {
      const v = JSON.parse(body).version;
      if (typeof v === 'string') return v;
    } catch {
      /* the file name decides */
    }
  }
  const file = basename(source);
  const m = /^(.+?)(\.json|\.tar\.gz|\.tgz|\.zip)$/.exec(file);
  if (!m) throw new UsageError(`cannot tell the version of ${file}: name it <version>${ext} or pass --version <version>`);
  return m[1];
}

export async function action(account: Account, name: string, act: 'rollback' | 'retire', wait: boolean): Promise<Result> {
  app(account, name);
  return startAndFollow(account, name, { app: name, action: act }, wait);
}

/** Keep `capacity` EC2 instances joined to the idle colour's cluster (ECS on EC2 capacity). */
export async function prewarm(account: Account, name: string, capacity: number, wait: boolean): Promise<Result> {
  const a = app(account, name);
  if (a.kind !== 'ecs' || a.capacity !== 'ec2') throw new UsageError(`prewarm is for ECS apps on EC2 capacity; ${name} is ${a.kind === 'ecs' ? 'on Fargate' : a.kind}`);
  return startAndFollow(account, name, { app: name, action: 'prewarm', capacity }, wait);
}

async function startAndFollow(account: Account, name: string, input: Record<string, string | number>, wait: boolean): Promise<Result> {
  const stamp = account.now().toISOString().replace(/[^0-9]/g, '').slice(0, 14);
  const execName = `${name}-${input.action ?? input.version}-cli-${stamp}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  const r = await startExecution(account.clients.sfn, account.names.releaseStateMachineArn, execName, input);
  if (!r.started) return { code: 1, text: `an execution named ${execName} already exists\n`, json: { started: false } };
  if (!wait) return { code: 0, text: `started ${r.executionArn}\n`, json: { started: true, executionArn: r.executionArn } };
  return follow(account, name, r.executionArn, `started ${execName}\n`);
}

/** Follow an execution to its end, printing a line whenever the route's weights or green's health change. */
export async function follow(account: Account, name: string, executionArn: string, header = ''): Promise<Result> {
  const a = app(account, name);
  const poll = a.health.pollSeconds;
  const lines = [header.trimEnd()].filter(Boolean);
  if (!jsonMode && header) process.stdout.write(header);
  const t0 = account.now().getTime();
  const emit = (text: string) => {
    const line = `+${String(Math.round((account.now().getTime() - t0) / 1000)).padStart(4)}s ${text}`;
    lines.push(line);
    if (!jsonMode) process.stdout.write(`${line}\n`);
  };
  let last = '';
  for (;;) {
    const e = await describeExecution(account.clients.sfn, executionArn);
    if (e.status !== 'RUNNING') {
      const out = e.output ? JSON.parse(e.output) : null;
      const outcome = outcomeWord(e, out);
      emit(`${outcome}${e.status === 'SUCCEEDED' ? (out?.note && out.note !== outcome ? `: ${out.note}` : '') : `: ${e.error}: ${causeMessage(e.cause)}`}`);
      // 0: the execution did what was asked (released, rolled back or retired by request, already live).
      const ok = e.status === 'SUCCEEDED' && outcome !== 'superseded';
      return { code: ok ? 0 : 1, text: jsonMode ? `${lines.join('\n')}\n` : '', json: { executionArn, status: e.status, outcome, output: out, error: e.error ?? null, cause: causeMessage(e.cause) || null } };
    }
    const now = a.kind === 'eip' ? '' : await progress(account, a);
    if (now !== last) emit(now);
    last = now;
    await account.sleep(poll);
  }
}

/** The word for how an execution ended, by what it was asked to do (a retire that succeeded "retired", not "released"). */
function outcomeWord(e: ExecutionInfo, out: { outcome?: string } | null): string {
  // The guard stops a release it rolls back (StopExecution, error AlarmRollback).
  if (e.status !== 'SUCCEEDED') return e.error === 'ReleaseRolledBack' || e.error === 'AlarmRollback' ? 'rolled-back' : e.error === 'ReleaseRejected' ? 'rejected' : e.status === 'ABORTED' ? 'aborted' : 'failed';
  let action: unknown;
  try {
    action = (JSON.parse(e.input ?? '{}') as { action?: unknown }).action;
  } catch {
    action = undefined;
  }
  return doneWord(out?.outcome ?? 'released', action);
}

/** A success is worded by what was asked: a retire "retired", a prewarm "prewarmed", a rollback "rolled-back". */
function doneWord(outcome: string, action: unknown): string {
  if (outcome !== 'released') return outcome;
  return action === 'retire' ? 'retired' : action === 'prewarm' ? 'prewarmed' : action === 'rollback' ? 'rolled-back' : 'released';
}

/** A colour's forward weight as a percentage of the route's total (to a tenth). */
function percentOf(weight: number, w: { blue: number; green: number }): number {
  const total = w.blue + w.green;
  return total ? Math.round((weight / total) * 1000) / 10 : 0;
}

let jsonMode = false;
export function setJsonMode(on: boolean): void {
  jsonMode = on;
}
export function isJsonMode(): boolean {
  return jsonMode;
}

async function progress(account: Account, a: Routed): Promise<string> {
  const w = colourWeights(await readRoute(account.clients.elbv2, routeOf(a)), a);
  const parts = [`traffic blue ${percentOf(w.blue, w)}% / green ${percentOf(w.green, w)}%`];
  for (const colour of ['blue', 'green'] as Colour[]) {
    const h = await targetHealth(account.clients.elbv2, a[colour].targetGroupArn);
    parts.push(`${colour} ${h.filter((t) => t.state === 'healthy').length}/${h.length} healthy`);
  }
  return parts.join(', ');
}


/** Approve the release waiting at the app's approval gate. */
export async function promote(account: Account, name: string): Promise<Result> {
  app(account, name);
  const r = await answerApproval(account.deps(), name, 'promote', `greenlight promote (${process.env.USER ?? 'cli'})`);
  if (!r) return { code: 1, text: `no release of ${name} waits for approval\n`, json: { promoted: null } };
  return { code: 0, text: `promoted ${r.version} (${r.execution.split(':').pop()}): traffic moves now\n`, json: { promoted: r.execution, version: r.version } };
}

/**
 * Abort the running release: stop its execution, let go of its lock, then clean up with a new
 * execution: a rollback when traffic had started to move, else a retire of the half-made green.
 */
/** The lock function's timeout (serverless.yml) and a margin: no lock write of a stopped execution lands later. */
const lockWriteWindowSeconds = () => (functionTimeouts().byFunction.lock ?? functionTimeouts().default) + 5;

export async function abort(account: Account, name: string, wait: boolean): Promise<Result> {
  const a = app(account, name);
  const { dynamodb, sfn } = account.clients;
  const lock = await readLock(dynamodb, account.names.table, name);
  if (!lock.owner) {
    // A release that has not taken the lock yet (just started, or waiting behind another that
    // finished meanwhile) has changed nothing: stopping it is the whole abort.
    const waiting = (await runningExecutions(account)).filter((e) => e.app === name);
    if (!waiting.length) return { code: 1, text: `no release of ${name} holds the lock or is running: nothing to abort\n`, json: { aborted: null } };
    for (const e of waiting) await stopExecution(sfn, e.executionArn, 'Aborted', `aborted with greenlight abort ${name} before it took the lock`);
    const names = waiting.map((e) => e.name);
    // StopExecution does not stop a Lambda invocation already running: a Lock step in flight may
    // still take the lock for the stopped execution. Until such a write can no longer land (the
    // lock function's timeout), a lock found held by one of them is let go.
    const stopped = new Set(waiting.map((e) => e.executionArn));
    let freed = false;
    if (wait)
      for (let waited = 0, bound = lockWriteWindowSeconds(); waited <= bound && !freed; waited += 2) {
        freed = (await changeLock(dynamodb, account.names.table, name, (l) => (l.owner && stopped.has(l.owner) ? { next: abortedLock(l), result: true } : { result: false }))) === true;
        if (!freed) await account.sleep(2);
      }
    const note = wait ? '' : ` (without --wait, a lock its last step may still take is let go when its lease runs out)`;
    return {
      code: 0,
      text: `stopped ${names.join(', ')} before it took the lock: nothing had changed${freed ? '; let go of the lock its last step took' : ''}${note}\n`,
      json: { aborted: waiting.map((e) => e.executionArn), cleanup: null, lockFreed: freed },
    };
  }
  if (lock.approvalToken) {
    // Waiting at the approval gate: the release rolls itself back (nothing moved in production).
    const r = await answerApproval(account.deps(), name, 'abort', `greenlight abort (${process.env.USER ?? 'cli'})`);
    if (!wait || !r) return { code: 0, text: `rejected at the approval gate: ${lock.ownerVersion}\n`, json: { aborted: lock.owner, cleanup: 'rollback' } };
    const f = await follow(account, name, lock.owner, `rejected ${lock.ownerVersion} at the approval gate: it rolls back\n`);
    return { ...f, code: (f.json as { outcome?: string }).outcome === 'rolled-back' ? 0 : 1, json: { aborted: lock.owner, cleanup: 'rollback', ...(f.json as object) } };
  }
  const owner = await describeExecution(sfn, lock.owner).catch(() => null);
  if (owner?.status === 'RUNNING') await stopExecution(sfn, lock.owner, 'Aborted', `aborted with greenlight abort ${name}`);
  // Let go of the lock the stopped owner held (its lease renewals race this: decided again on the lock as it is).
  if (!(await changeLock(dynamodb, account.names.table, name, (l) => (l.owner === lock.owner ? { next: abortedLock(l), result: true } : { result: false }), lock)))
    return { code: 1, text: `the lock of ${name} changed while aborting; run greenlight status ${name} and try again\n`, json: { aborted: lock.owner } };
  let header = `stopped ${lock.owner.split(':').pop()} (${lock.ownerVersion})\n`;
  if (a.kind === 'eip') return { code: 0, text: `${header}the Elastic IP was not moved by an unfinished release; run greenlight status ${name}\n`, json: { aborted: lock.owner } };
  const w = colourWeights(await readRoute(account.clients.elbv2, routeOf(a)), a);
  const cleanup = liveColour(w) === 'split' ? 'rollback' : 'retire';
  header += `${cleanup === 'rollback' ? 'traffic was split: rolling back' : 'traffic had not moved: retiring the unfinished colour'}\n`;
  if (!jsonMode) process.stdout.write(header);
  const r = await startAndFollow(account, name, { app: name, action: cleanup }, wait);
  return { ...r, text: jsonMode ? `${header}${r.text}` : r.text, json: { aborted: lock.owner, cleanup, ...(r.json as object) } };
}

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
    `live: ${p.live.colour} ${p.live.version ?? '(unknown)'}, ${p.live.units} ${a.kind === 'ecs' ? 'tasks' : 'instances'}; the release goes to ${p.idle.colour}`,
  ];
  if (p.alreadyLive) return { code: 0, text: `${head.join('\n')}\nthis exact artifact is already live: a release would change nothing\n`, json: { release: rel, alreadyLive: true, calls: [] } };
  if (p.needsCapacity) {
    mark(`${p.idle.colour}'s cluster capacity`);
    await prepareCapacity(deps, { release: rel, settings, plan: p });
  }
  mark(`${p.idle.colour} on ${version}`);
  await prepareGreen(deps, { release: rel, settings, plan: p });
  if (a.kind !== 'eip') {
    const actions = await readRoute(deps.clients.elbv2, p.route!);
    for (const step of shiftSteps(a.traffic)) {
      mark(`once ${p.idle.colour} is healthy (${settings.timeoutSeconds} s at most): ${step.percent}% of traffic${step.bakeSeconds ? `, then bake ${step.bakeSeconds} s` : ''}`);
      await writeRoute(deps.clients.elbv2, p.route!, shiftedActions(actions, p.idle.targetGroupArn, p.live.targetGroupArn, step.percent));
    }
    for (const step of scheduleFor(a, p)) {
      mark(`${step.afterSeconds ? `${step.afterSeconds} s after the switch` : 'at the switch'}: ${p.live.colour} down to ${step.units} ${a.kind === 'ecs' ? 'tasks' : 'instances'}`);
      if (a.kind === 'asg') await retireAsg(deps, p, step.units);
      else await retireEcs(deps, p, step.units);
    }
  } else {
    mark('then: the new server is checked, the Elastic IP moves to it, and the old server is stopped for the rollback window (not planned in detail for eip)');
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
export async function diff(account: Account, name: string, version: string): Promise<Result> {
  const a = app(account, name);
  const planned = await plan(account, name, version);
  const doc = planned.json as { rejected?: string; alreadyLive?: boolean; plan?: { live: { colour: string; version: string | null } & Record<string, unknown>; idle: { colour: string } }; phases?: { calls: PlannedCall[] }[] };
  if (doc.rejected || doc.alreadyLive || !doc.plan) return { ...planned, text: doc.alreadyLive ? `${name} ${version} is live already: no difference\n` : planned.text };
  const calls = (doc.phases ?? []).flatMap((ph) => ph.calls);
  const { live, idle } = doc.plan;
  const from = `live: ${name} ${live.colour} ${live.version ?? '(not released by greenlight)'}`;
  const to = `release: ${name} ${version} (onto ${idle.colour})`;
  let before: string;
  let after: string;
  if (a.kind === 'ecs') {
    const register = calls.find((c) => c.command === 'RegisterTaskDefinition');
    if (!register) return { code: 0, text: `${name} ${version}: the release registers no new task definition (no difference)\n`, json: { diff: '' } };
    const s = side(a, live.colour as Colour);
    const svc = (await describeServices(account.clients.ecs, s.cluster!, [s.serviceName!])).get(s.serviceName!);
    const td = svc ? await describeTaskDefinition(account.clients.ecs, svc.taskDefinition) : null;
    const { taskDefinitionArn: _a, revision: _r, status: _s, requiresAttributes: _q, compatibilities: _c, registeredAt: _t, registeredBy: _b, deregisteredAt: _d, ...liveDef } = (td?.definition ?? {}) as Record<string, unknown>;
    const { tags: newTags, ...newDef } = register.input as Record<string, unknown>;
    before = stableJson({ ...liveDef, tags: Object.entries(td?.tags ?? {}).map(([key, value]) => ({ key, value })) });
    after = stableJson({ ...newDef, tags: newTags ?? [] });
  } else {
    const create = calls.find((c) => c.command === 'CreateLaunchTemplateVersion');
    if (!create) return { code: 0, text: `${name} ${version}: the release creates no launch template version (no difference)\n`, json: { diff: '' } };
    const input = create.input as { SourceVersion?: string; VersionDescription?: string; LaunchTemplateData?: { ImageId?: string; UserData?: string } };
    const [src] = await launchTemplateVersions(account.clients.ec2, a.launchTemplateId, [input.SourceVersion ?? '$Default']);
    const text = (v: { description?: string; imageId?: string; userData?: string }) =>
      [`VersionDescription: ${v.description ?? ''}`, `ImageId: ${v.imageId ?? ''}`, 'UserData:', ...(v.userData ? Buffer.from(v.userData, 'base64').toString('utf8').split('\n').map((l) => `  ${l}`) : [])].join('\n');
    before = text(src ?? {});
    after = text({ description: input.VersionDescription, imageId: input.LaunchTemplateData?.ImageId ?? src?.imageId, userData: input.LaunchTemplateData?.UserData ?? src?.userData });
  }
  const patch = createTwoFilesPatch(from, to, `${before}\n`, `${after}\n`, undefined, undefined, { context: 3 });
  const changed = before !== after;
  return { code: 0, text: changed ? patch : `${name} ${version}: no difference in ${a.kind === 'ecs' ? 'the task definition' : 'the launch template'}\n`, json: { app: name, version, live, idle, changed, diff: changed ? patch : '' } };
}

/** JSON with sorted keys, two-space indented: a diff shows what changed, not what moved. */
function stableJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x as object).sort().map((k) => [k, sort((x as Record<string, unknown>)[k])])) : x;
  return JSON.stringify(sort(v), null, 2);
}

/** On the simulator, a plan of a version nobody uploaded yet stages its artifact first. */
function stageInSimulator(account: Account, name: string, version: string): string | null {
  const { world, scenario } = account.session!;
  const spec = scenario.apps.find((x) => x.name === name);
  if (!spec || [...(world.buckets.get(account.names.bucket)?.objects.keys() ?? [])].some((k) => k.startsWith(`releases/${name}/${version}.`))) return null;
  return `s3://${account.names.bucket}/${uploadArtifact(world, spec, version, undefined, false)}`;
}

// ---------------------------------------------------------------- verify

type Check = { check: string; status: 'OK' | 'NG' | 'SKIP'; detail: string };

/** OK / NG / SKIP for every resource the app's config names, and greenlight's own. */
export async function verify(account: Account, name: string): Promise<Result> {
  const a = app(account, name);
  const checks: Check[] = [];
  const run = async (check: string, fn: () => Promise<Omit<Check, 'check'>>) => {
    try {
      checks.push({ check, ...(await fn()) });
    } catch (err) {
      checks.push({ check, status: 'NG', detail: (err as Error).message });
    }
  };
  const { clients, names } = account;
  await run('artifact bucket versioned', async () => {
    const v = await bucketVersioning(clients.s3, names.bucket);
    return v === 'Enabled' ? { status: 'OK', detail: names.bucket } : { status: 'NG', detail: `${names.bucket} versioning is ${v}: enable it so every release pins one object version` };
  });
  await run('lock and history table', async () => ({ status: 'OK', detail: `${names.table} ${await tableStatus(clients.dynamodb, names.table)}` }));
  await run('release state machine', async () =>
    (await stateMachineExists(clients.sfn, names.releaseStateMachineArn)) ? { status: 'OK', detail: names.releaseStateMachineArn } : { status: 'NG', detail: `${names.releaseStateMachineArn} not found: deploy greenlight` },
  );
  if (a.kind === 'eip') {
    await run('elastic ip', async () => {
      const addr = await addressOf(clients.ec2, a.allocationId);
      return addr.instanceId ? { status: 'OK', detail: `${a.allocationId} ${addr.publicIp} → ${addr.instanceId}` } : { status: 'NG', detail: `${a.allocationId} is not associated with a server` };
    });
    await run('launch template', async () => {
      const [v] = await launchTemplateVersions(clients.ec2, a.launchTemplateId, ['$Default']);
      return v ? { status: 'OK', detail: `${a.launchTemplateId} default version ${v.versionNumber}` } : { status: 'NG', detail: `${a.launchTemplateId} has no default version` };
    });
  } else {
    const route = routeOf(a);
    await run(a.ruleArn ? 'listener rule' : 'listener', async () => {
      const w = colourWeights(await readRoute(clients.elbv2, route), a);
      const live = liveColour(w);
      return live === 'none' ? { status: 'NG', detail: 'forwards to neither colour: point it at the blue target group' } : { status: 'OK', detail: `${a.ruleArn ?? a.listenerArn}: blue ${w.blue} / green ${w.green}` };
    });
    if (a.ruleArn)
      await run('rule precedence', async () => {
        await rejectIfShadowed(account.deps(), a);
        return { status: 'OK', detail: `no rule before ${a.ruleArn} takes all of its requests` };
      });
    await run('target groups', async () => {
      const arns = [a.blue.targetGroupArn, a.green.targetGroupArn];
      const found = await existingTargetGroups(clients.elbv2, arns);
      const missing = arns.filter((x) => !found.has(x));
      return missing.length ? { status: 'NG', detail: `not found: ${missing.join(', ')}` } : { status: 'OK', detail: 'blue and green exist' };
    });
    if (a.kind === 'asg') {
      await run('launch template', async () => {
        const [v] = await launchTemplateVersions(clients.ec2, a.launchTemplateId, ['$Latest']);
        return v ? { status: 'OK', detail: `${a.launchTemplateId} latest version ${v.versionNumber}` } : { status: 'NG', detail: `${a.launchTemplateId} not found` };
      });
    }
    for (const colour of ['blue', 'green'] as Colour[]) {
      const s = side(a, colour);
      if (s.autoScalingGroupName) {
        await run(`${colour} auto scaling group`, async () => {
          const g = (await describeGroups(clients.autoscaling, [s.autoScalingGroupName!])).get(s.autoScalingGroupName!);
          if (!g) return { status: 'NG', detail: `${s.autoScalingGroupName} not found` };
          if (a.kind === 'asg' && !g.targetGroupArns.includes(s.targetGroupArn)) return { status: 'NG', detail: `${g.name} is not attached to ${colour}'s target group` };
          if (a.kind === 'asg' && g.launchTemplateId !== a.launchTemplateId) return { status: 'NG', detail: `${g.name} uses ${g.launchTemplateId ?? 'no launch template'}, not ${a.launchTemplateId}` };
          return { status: 'OK', detail: `${g.name} desired ${g.capacity.desired} (min ${g.capacity.min}, max ${g.capacity.max})` };
        });
        await run(`${colour} lifecycle hooks`, async () => {
          if (a.kind !== 'ecs' || !a.scaling) return { status: 'SKIP', detail: 'only ECS apps whose task count follows the group use hooks' };
          const hooks = await lifecycleHookNames(clients.autoscaling, s.autoScalingGroupName!);
          const missing = [LAUNCH_HOOK, TERMINATE_HOOK].filter((h) => !hooks.includes(h));
          return missing.length ? { status: 'NG', detail: `${s.autoScalingGroupName} lacks ${missing.join(', ')} (deployed by greenlight's stack)` } : { status: 'OK', detail: hooks.join(', ') };
        });
      }
      if (a.kind === 'ecs') {
        await run(`${colour} ecs service`, async () => {
          const svc = (await describeServices(clients.ecs, s.cluster!, [s.serviceName!])).get(s.serviceName!);
          if (!svc) return { status: 'NG', detail: `${s.cluster}/${s.serviceName} not found` };
          if (!svc.targetGroupArns.includes(s.targetGroupArn)) return { status: 'NG', detail: `${s.serviceName} is not registered with ${colour}'s target group` };
          return { status: 'OK', detail: `${s.cluster}/${s.serviceName} ${svc.runningCount}/${svc.desiredCount} running, ${svc.taskDefinition.split('/').pop()}` };
        });
      }
    }
    if (a.kind === 'asg' || a.kind === 'ecs') {
      await run('idle colour', async () => {
        const w = colourWeights(await readRoute(clients.elbv2, route), a);
        const live = liveColour(w);
        return live === 'blue' || live === 'green' ? { status: 'OK', detail: `${other(live)} is idle and receives the next release` } : { status: 'SKIP', detail: `route is ${live}` };
      });
    }
  }
  const ng = checks.filter((c) => c.status === 'NG').length;
  const text = `${checks.map((c) => `${c.status.padEnd(4)} ${c.check.padEnd(28)} ${c.detail}`).join('\n')}\n${ng ? `${ng} NG` : 'all OK'}\n`;
  return { code: ng ? 1 : 0, text, json: { app: name, ok: ng === 0, checks } };
}
