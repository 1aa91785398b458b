import { readRoute, targetHealth } from '../../aws/elbv2.js';
import { describeExecution, type ExecutionInfo, listExecutions, startExecution } from '../../aws/sfn.js';
import { type AppConfig, appConfig, type Colour, type RoutedAppConfig } from '../../core/config.js';
import { colourWeights } from '../../core/route.js';
import { causeMessage } from '../../core/text.js';
import { routeOf } from '../../steps/sides.js';
import type { Account } from '../account.js';
import { UsageError } from '../scenarios.js';
import { isRouted } from '../../core/kinds.js';

// What the operator's commands share: their result, the app they name, starting an execution and
// following it to its end (its progress written as it happens when the account has a `live`
// output), and the words for how it ended.

export interface Result {
  code: 0 | 1;
  text: string;
  json: unknown;
}

export function app(account: Account, name: string): AppConfig {
  try {
    return appConfig(account.config, name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export interface Running extends ExecutionInfo {
  app: string | null;
}

export async function runningExecutions(account: Account): Promise<Running[]> {
  const list = await listExecutions(account.clients.sfn, account.names.releaseStateMachineArn, 'RUNNING');
  const out: Running[] = [];
  for (const e of list.slice(0, 20)) {
    const d = await describeExecution(account.clients.sfn, e.executionArn);
    out.push({ ...d, app: appOfInput(d.input) });
  }
  return out;
}

export function appOfInput(input: string | undefined): string | null {
  try {
    const i = JSON.parse(input ?? '');
    if (typeof i.app === 'string') return i.app;
    const key: string | undefined = i.detail?.object?.key;
    return key ? (/^releases\/([^/]+)\//.exec(decodeURIComponent(key))?.[1] ?? null) : null;
  } catch {
    return null;
  }
}

export async function startAndFollow(account: Account, name: string, input: Record<string, string | number>, wait: boolean): Promise<Result> {
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
  if (header) account.live?.(header);
  const t0 = account.now().getTime();
  const emit = (text: string) => {
    const line = `+${String(Math.round((account.now().getTime() - t0) / 1000)).padStart(4)}s ${text}`;
    lines.push(line);
    account.live?.(`${line}\n`);
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
      return { code: ok ? 0 : 1, text: account.live ? '' : `${lines.join('\n')}\n`, json: { executionArn, status: e.status, outcome, output: out, error: e.error ?? null, cause: causeMessage(e.cause) || null } };
    }
    const now = isRouted(a) ? await progress(account, a) : '';
    if (now !== last) emit(now);
    last = now;
    await account.sleep(poll);
  }
}

/** The word for how an execution ended, by what it was asked to do (a retire that succeeded "retired", not "released"). */
export function outcomeWord(e: ExecutionInfo, out: { outcome?: string } | null): string {
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
export function doneWord(outcome: string, action: unknown): string {
  if (outcome !== 'released') return outcome;
  return action === 'retire' ? 'retired' : action === 'prewarm' ? 'prewarmed' : action === 'rollback' ? 'rolled-back' : 'released';
}

/** A colour's forward weight as a percentage of the route's total (to a tenth). */
export function percentOf(weight: number, w: { blue: number; green: number }): number {
  const total = w.blue + w.green;
  return total ? Math.round((weight / total) * 1000) / 10 : 0;
}

export async function progress(account: Account, a: RoutedAppConfig): Promise<string> {
  const w = colourWeights(await readRoute(account.clients.elbv2, routeOf(a)), a);
  const parts = [`traffic blue ${percentOf(w.blue, w)}% / green ${percentOf(w.green, w)}%`];
  for (const colour of ['blue', 'green'] as Colour[]) {
    const h = await targetHealth(account.clients.elbv2, a[colour].targetGroupArn);
    parts.push(`${colour} ${h.filter((t) => t.state === 'healthy').length}/${h.length} healthy`);
  }
  return parts.join(', ');
}
