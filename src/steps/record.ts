import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { putHistory, readHistory } from '../aws/dynamodb.js';
import { publishReleaseMessage, putReleaseEvent } from '../aws/notify.js';
import { type ColourVersion, type HistoryRecord, type Milestone, milestoneOf, type Outcome, type ReleaseEventDetail, releaseSummary } from '../core/history.js';
import type { Release } from '../core/release.js';
import { describeFailure } from '../core/text.js';
import type { Deps } from './deps.js';
import { logger } from './lambda.js';
import type { Execution } from './lock.js';
import { releaseLock } from './lock.js';
import type { Plan } from './types.js';

// History, notifications and metrics. A notification that cannot be delivered never changes a
// release's outcome: the state machine catches it and carries on.

export async function startHistory(deps: Deps, release: Release, execution: Execution): Promise<void> {
  await putHistory(deps.clients.dynamodb, deps.env.table, {
    ...releaseSummary(release),
    executionArn: execution.id,
    startedAt: execution.startTime,
    endedAt: null,
    outcome: 'running',
    reason: null,
    before: null,
    after: null,
  });
}

export interface MilestoneInput {
  event: Milestone;
  release: Release;
  execution: Execution;
  extra?: Partial<ReleaseEventDetail>;
}

export async function notifyMilestone(deps: Deps, m: MilestoneInput): Promise<ReleaseEventDetail> {
  const r = m.release;
  const detail: ReleaseEventDetail = {
    schemaVersion: '1',
    event: m.event,
    app: r.app,
    version: r.version,
    action: r.action ?? 'release',
    executionArn: m.execution.id,
    at: deps.now().toISOString(),
    ...m.extra,
  };
  await putReleaseEvent(deps.clients.events, deps.env.eventBusName, detail, [m.execution.id]);
  if (deps.env.topicArn) await publishReleaseMessage(deps.clients.sns, deps.env.topicArn, detail);
  return detail;
}

/**
 * A milestone in the middle of a release (green healthy, a traffic step in effect), told by the
 * step that saw it, off the critical path: a failed notification is logged, never fatal.
 */
export async function tell(deps: Deps, m: MilestoneInput): Promise<void> {
  try {
    await notifyMilestone(deps, m);
  } catch (err) {
    logger.warn('release notification not delivered', { event: m.event, errorName: (err as Error).name, errorMessage: (err as Error).message });
  }
}

interface FinishState {
  release?: Release;
  plan?: Plan;
  error?: { Error?: string; Cause?: string };
  rollback?: { reason?: string };
  rollbackError?: { Error?: string; Cause?: string };
  lock?: { by?: string; byVersion?: string | null };
  /** The last traffic step's result: with judge:, how the bake before it was judged. */
  shift?: { judgement?: string };
}

/**
 * The end of every execution that got past Resolve: the history record gets its outcome, the
 * lock is let go, the outcome is published, and the metrics are emitted. Safe to re-run.
 */
export async function finish(deps: Deps, input: { outcome: Outcome; note?: string; state: FinishState; execution: Execution }) {
  const { outcome, state, execution } = input;
  const release = state.release;
  const reason = reasonFor(outcome, state, input.note);
  if (!release) return { outcome, reason, recorded: false };
  const before = sideOf(state.plan?.live, state.plan?.live.version ?? null);
  const moved = (outcome === 'released' || (outcome === 'rolled-back' && release.action === 'rollback')) && state.plan && (release.action === 'release' || release.action === 'rollback' || !release.action);
  const after = moved ? sideOf(state.plan!.idle, release.version) : before;
  const endedAt = deps.now().toISOString();
  // A release got past Resolve, so its app is configured: record it and let go of its lock.
  const judgement = outcome === 'released' ? state.shift?.judgement : undefined;
  const record: HistoryRecord = { ...releaseSummary(release), executionArn: execution.id, startedAt: execution.startTime, endedAt, outcome, reason, before, after, ...(judgement ? { judgement } : {}) };
  // The lock is let go whatever happens to the history write (and the other way round); a
  // failure of either is thrown after both were tried, so the state's Retry runs this again.
  const [history, lock] = await Promise.allSettled([putHistory(deps.clients.dynamodb, deps.env.table, record), releaseLock(deps, release.app, execution.id)]);
  if (history.status === 'rejected') throw history.reason;
  if (lock.status === 'rejected') throw lock.reason;
  await tell(deps, { event: milestoneOf(outcome), release, execution, extra: { outcome, reason, artifact: releaseSummary(release).artifact, before, after } });
  emitMetrics(deps, release, outcome, (Date.parse(endedAt) - Date.parse(execution.startTime)) / 1000);
  return { outcome, reason, recorded: true, before, after };
}

function sideOf(side: { colour: string } | undefined, version: string | null): ColourVersion | null {
  return side ? { colour: side.colour, version } : null;
}

function reasonFor(outcome: Outcome, s: FinishState, note: string | undefined): string | null {
  if (note) return note;
  if (outcome === 'rolled-back') return s.rollback?.reason ?? describeFailure(s.error);
  if (outcome === 'rollback-failed') return describeFailure(s.rollbackError);
  if (outcome === 'superseded') return `a newer release (${s.lock?.byVersion ?? s.lock?.by ?? 'unknown'}) arrived while this one waited`;
  if (outcome === 'released') return null;
  return s.error ? describeFailure(s.error) : null;
}

/** Powertools Metrics in CloudWatch embedded metric format: duration, outcome and rollback counts. */
function emitMetrics(deps: Deps, release: Release, outcome: Outcome, seconds: number): void {
  const metrics = new Metrics({ namespace: 'greenlight', serviceName: 'greenlight', defaultDimensions: { app: release.app } });
  metrics.addDimension('outcome', outcome);
  metrics.addMetric('ReleaseDuration', MetricUnit.Seconds, Math.max(0, seconds));
  metrics.addMetric('Releases', MetricUnit.Count, 1);
  if (outcome === 'rolled-back' || release.action === 'rollback') metrics.addMetric('Rollbacks', MetricUnit.Count, 1);
  deps.metrics(metrics.serializeMetrics());
}

/**
 * A release whose execution was stopped from outside (guard alarm, abort): its history record
 * gets the outcome, and the outcome is published. The record says what was being released.
 */
export async function closeStoppedRelease(deps: Deps, app: string, executionArn: string, outcome: Outcome, reason: string): Promise<void> {
  const records = await readHistory(deps.clients.dynamodb, deps.env.table, app, 50);
  const r = records.find((x) => x.executionArn === executionArn);
  if (!r) return;
  const endedAt = deps.now().toISOString();
  await putHistory(deps.clients.dynamodb, deps.env.table, { ...r, endedAt, outcome, reason });
  const release = { app, version: r.version, action: r.action, trigger: r.trigger, artifact: r.artifact } as unknown as Release;
  await tell(deps, { event: milestoneOf(outcome), release, execution: { id: executionArn, startTime: r.startedAt }, extra: { outcome, reason, artifact: r.artifact } });
  emitMetrics(deps, release, outcome, (Date.parse(endedAt) - Date.parse(r.startedAt)) / 1000);
}
