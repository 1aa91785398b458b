import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parse } from 'yaml';
import { type Clients, createClients } from '../aws/clients.js';
import { call } from '../aws/errors.js';
import { type Config, parseConfig } from '../core/config.js';
import { simDeps } from '../local/deps.js';
import { CAPACITY_STATE_MACHINE_ARN, loadScenarioFile, RELEASE_STATE_MACHINE_ARN, runToQuiet, type Session, startSession } from '../local/simulate.js';
import { SIM_BUCKET, SIM_TABLE, SIM_TOPIC } from '../sim/build.js';
import type { Deps } from '../steps/deps.js';
import { httpGet } from '../steps/http.js';
import { scenarioPath, UsageError } from './scenarios.js';
import type { SessionEntry, SessionFile } from './sessions.js';

// Where a CLI command runs: the real account of the environment (credentials, region and
// AWS_ENDPOINT_URL as the SDK reads them; greenlight's names from its CloudFormation stack), or
// the simulator (--sim <scenario>: the account as that scenario leaves it, in virtual time).

export interface Names {
  bucket: string;
  table: string;
  topicArn: string;
  releaseStateMachineArn: string;
  capacityStateMachineArn: string;
}

export interface Account {
  kind: 'aws' | 'sim';
  clients: Clients;
  config: Config;
  names: Names;
  now(): Date;
  /** Real seconds against AWS; virtual seconds (the simulation runs meanwhile) with --sim. */
  sleep(seconds: number): Promise<void>;
  /** What the Lambda steps get, for the commands that reuse them (plan, abort). */
  deps(): Deps;
  /** Only with --sim: the running simulation. */
  session?: Session;
  /**
   * Called by a command right before its first change, after its own checks: against AWS, the
   * account and region it acts on are shown (and in a terminal confirmed) once.
   */
  beforeChange?: () => Promise<void>;
  /**
   * Where a command that follows an execution writes each line as it happens (a terminal);
   * unset (--json, a replay, the dashboard), the lines are in the command's result instead.
   */
  live?: (text: string) => void;
}

export interface AccountOptions {
  sim?: string;
  at?: number;
  stage: string;
  configPath: string;
  /** AWS: the credentials profile and region (else the environment's). */
  profile?: string;
  region?: string;
  /** AWS, a command that changes something: what it does (shown with the account before it acts). */
  mutating?: string;
  /** No confirmation in a terminal. */
  yes?: boolean;
  /** `init`: a config file that does not exist yet is no error. */
  configMayBeMissing?: boolean;
}

/** A simulator session's log, replayed on the scenario before the command (src/cli/sessions.ts). */
export interface Replay {
  session: SessionFile;
  /** Do one logged command again (its output discarded). */
  apply: (account: Account, entry: SessionEntry) => Promise<void>;
}

/** Run `fn` against the account the options name. */
export async function withAccount<T>(opts: AccountOptions & { replay?: Replay }, fn: (a: Account) => Promise<T>): Promise<T> {
  if (opts.replay) return withSimAccount(opts.replay.session.scenario, opts.replay.session.at, fn, opts.replay);
  if (opts.sim !== undefined) return withSimAccount(opts.sim || 'asg-release', opts.at, fn);
  return fn(await awsAccount(opts));
}

async function awsAccount(opts: AccountOptions): Promise<Account> {
  // The SDK reads both from the environment; set before any client exists.
  if (opts.profile) process.env.AWS_PROFILE = opts.profile;
  if (opts.region) process.env.AWS_REGION = opts.region;
  const region = await resolvedRegion();
  let config: Config;
  try {
    // `init` writes the config: before it exists, the account has no apps.
    config = opts.configMayBeMissing && !existsSync(opts.configPath) ? parseConfig({ apps: {} }) : parseConfig(parse(readFileSync(opts.configPath, 'utf8')));
  } catch (err) {
    throw new UsageError(`cannot read ${opts.configPath}: ${(err as Error).message} (run from the directory with greenlight.config.yml, or pass --config <file>)`);
  }
  const names = await stackNames(opts.stage);
  const clients = createClients();
  const deps: Deps = {
    clients,
    config,
    now: () => new Date(),
    http: httpGet,
    logger: { info: () => {}, warn: () => {} },
    metrics: () => {},
    env: { artifactBucket: names.bucket, releaseStateMachineArn: names.releaseStateMachineArn, table: names.table, eventBusName: 'default', topicArn: names.topicArn },
  };
  return {
    kind: 'aws',
    clients,
    config,
    names,
    now: () => new Date(),
    sleep: (s) => new Promise((r) => setTimeout(r, s * 1000)),
    deps: () => deps,
    beforeChange: once(() => (opts.mutating ? confirmTarget(opts, region) : Promise.resolve())),
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/** The region the SDK would use (flag, environment or profile): none is a usage error, before any call. */
async function resolvedRegion(): Promise<string> {
  try {
    const region = await new STSClient({}).config.region();
    if (region) return region;
  } catch {
    // "Region is missing": said below, with the fix.
  }
  throw new UsageError('no AWS region: pass --region <region>, set AWS_REGION, or set a region in the profile (--profile)');
}

/**
 * Before a command changes anything in an AWS account: which account and region it acts on
 * (on stderr, so --json stays one document), and in a terminal a confirmation unless --yes.
 */
async function confirmTarget(opts: AccountOptions, region: string): Promise<void> {
  const id = await call('sts:GetCallerIdentity', () => new STSClient({}).send(new GetCallerIdentityCommand({})));
  const where = `AWS account ${id.Account ?? '?'} (${id.Arn ?? 'unknown identity'}), region ${region}, stack greenlight-${opts.stage}`;
  process.stderr.write(`greenlight: ${opts.mutating} acts on ${where}\n`);
  if (opts.yes || !process.stdin.isTTY || !process.stderr.isTTY) return;
  if (!(await confirm('Go ahead? [y/N] ', process.stdin, process.stderr))) throw new NotConfirmed(`not confirmed: nothing was changed (pass --yes to skip the question)`);
}

/** The operator declined the confirmation (exit 1: what was asked was not done). */
export class NotConfirmed extends Error {
  override readonly name = 'NotConfirmed';
}

/** Ask a yes/no question; only "y" or "yes" is yes. */
export async function confirm(question: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<boolean> {
  const rl = createInterface({ input, output, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(question, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/**
 * The stack's names: GREENLIGHT_* environment variables if set, else the outputs of the
 * CloudFormation stack greenlight-<stage>.
 */
async function stackNames(stage: string): Promise<Names> {
  const env = process.env;
  if (env.GREENLIGHT_BUCKET && env.GREENLIGHT_TABLE && env.GREENLIGHT_RELEASE_STATE_MACHINE_ARN)
    return {
      bucket: env.GREENLIGHT_BUCKET,
      table: env.GREENLIGHT_TABLE,
      topicArn: env.GREENLIGHT_TOPIC_ARN ?? '',
      releaseStateMachineArn: env.GREENLIGHT_RELEASE_STATE_MACHINE_ARN,
      capacityStateMachineArn: env.GREENLIGHT_CAPACITY_STATE_MACHINE_ARN ?? '',
    };
  const stack = `greenlight-${stage}`;
  const out = await call(`cloudformation:DescribeStacks ${stack}`, () => new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack })));
  const outputs = Object.fromEntries((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue ?? '']));
  const need = (k: string) => {
    if (!outputs[k]) throw new Error(`stack ${stack} has no output ${k}: deploy greenlight (npm run deploy) or set GREENLIGHT_* variables`);
    return outputs[k];
  };
  return {
    bucket: need('ArtifactBucketName'),
    table: need('TableName'),
    topicArn: outputs.ReleaseTopicArn ?? '',
    releaseStateMachineArn: need('ReleaseStateMachineArn'),
    capacityStateMachineArn: outputs.CapacityStateMachineArn ?? '',
  };
}

async function withSimAccount<T>(scenarioName: string, at: number | undefined, fn: (a: Account) => Promise<T>, replay?: Replay): Promise<T> {
  const scenario = loadScenarioFile(scenarioPath(scenarioName));
  // A session started without --at is the scenario's world without its script: the operator drives it.
  if (replay && replay.session.at === undefined) scenario.steps = [];
  const session = startSession(scenario);
  await runToQuiet(session, at);
  const { clock, procs } = session;
  const deps = simDeps({ ...session, caller: 'cli', releaseStateMachineArn: RELEASE_STATE_MACHINE_ARN });
  const account: Account = {
    kind: 'sim',
    clients: deps.clients,
    config: session.config,
    names: { bucket: SIM_BUCKET, table: SIM_TABLE, topicArn: SIM_TOPIC, releaseStateMachineArn: RELEASE_STATE_MACHINE_ARN, capacityStateMachineArn: CAPACITY_STATE_MACHINE_ARN },
    now: () => clock.date(),
    sleep: (s) => clock.sleep(s),
    deps: () => deps,
    session,
  };
  // The command is one more process of the simulation: virtual time moves while it sleeps.
  let done = false;
  const replayThenRun = async () => {
    // A session: what was done to it, each at the virtual time it was done, then its own time.
    for (const entry of replay?.session.log ?? []) {
      if (clock.now < entry.t) await clock.sleep(entry.t - clock.now);
      await replay!.apply(account, entry);
    }
    if (replay && clock.now < replay.session.now) await clock.sleep(replay.session.now - clock.now);
    return fn(account);
  };
  const run = procs.spawn(replayThenRun).finally(() => {
    done = true;
  });
  // Its failure is reported when awaited below, not as an unhandled rejection meanwhile.
  run.catch(() => {});
  try {
    await procs.runUntil(() => done, Number.POSITIVE_INFINITY);
    if (!done) throw new Error('the simulation ran out of work before the command finished');
    return await run;
  } finally {
    session.uninstall();
  }
}
