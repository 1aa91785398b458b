import type { Artifact, Release } from './release.js';

// What greenlight tells the world: one history record per release (DynamoDB), and an event per
// state change (EventBridge `source: greenlight`, and the same on SNS). The schema is documented
// in README.md ("Events"); `schemaVersion` changes only with an incompatible change.

export const EVENT_SOURCE = 'greenlight';
export const SCHEMA_VERSION = '1';

export type Milestone = 'started' | 'green-healthy' | 'approval-needed' | 'traffic-shifted' | 'quiesced' | 'succeeded' | 'rolled-back' | 'failed' | 'rejected' | 'superseded';
export type Outcome = 'running' | 'released' | 'already-live' | 'rolled-back' | 'failed' | 'rejected' | 'superseded' | 'rollback-failed' | 'retire-failed';

export const DETAIL_TYPES: Record<Milestone, string> = {
  started: 'Release Started',
  'green-healthy': 'Green Healthy',
  'approval-needed': 'Approval Needed',
  'traffic-shifted': 'Traffic Shifted',
  quiesced: 'Old Colour Quiesced',
  succeeded: 'Release Succeeded',
  'rolled-back': 'Release Rolled Back',
  failed: 'Release Failed',
  rejected: 'Release Rejected',
  superseded: 'Release Superseded',
};

export interface ColourVersion {
  colour: string | null;
  version: string | null;
}

export interface HistoryRecord {
  app: string;
  version: string;
  action: string;
  trigger: string;
  executionArn: string;
  artifact: { bucket: string; key: string; versionId: string; sha256: string | null } | null;
  startedAt: string;
  endedAt: string | null;
  outcome: Outcome;
  reason: string | null;
  before: ColourVersion | null;
  after: ColourVersion | null;
  /** judge: how the last bake was judged, for a release that passed it (a failed judgement is the reason). */
  judgement?: string;
}

export interface ReleaseEventDetail {
  schemaVersion: string;
  event: Milestone;
  app: string;
  version: string;
  action: string;
  executionArn: string;
  at: string;
  outcome?: Outcome;
  reason?: string | null;
  artifact?: HistoryRecord['artifact'];
  before?: ColourVersion | null;
  after?: ColourVersion | null;
  /** traffic-shifted: green's share now. */
  percent?: number;
  /** green-healthy: targets healthy of desired. */
  healthy?: number;
  desired?: number;
}

export function artifactOf(a: Artifact | undefined): HistoryRecord['artifact'] {
  if (!a?.key) return null;
  return { bucket: a.bucket, key: a.key, versionId: a.versionId, sha256: a.sha256 };
}

export function milestoneOf(outcome: Outcome): Milestone {
  switch (outcome) {
    case 'released':
    case 'already-live':
      return 'succeeded';
    case 'rolled-back':
      return 'rolled-back';
    case 'rejected':
      return 'rejected';
    case 'superseded':
      return 'superseded';
    case 'running':
      return 'started';
    default:
      return 'failed';
  }
}

/** One line for chat: "web 1.4.2: released (blue 1.4.1 → green 1.4.2)". */
export function headline(d: ReleaseEventDetail): string {
  const what = d.action === 'release' ? `${d.app} ${d.version}` : `${d.app} ${d.action}${d.version && d.version !== 'previous' ? ` to ${d.version}` : ''}`;
  const cv = (c: ColourVersion | null | undefined) => (c ? `${c.colour ?? '?'} ${c.version ?? '?'}` : '?');
  switch (d.event) {
    case 'started':
      return `${what}: started`;
    case 'green-healthy':
      return `${what}: green healthy (${d.healthy}/${d.desired})`;
    case 'traffic-shifted':
      return `${what}: ${d.percent}% of traffic on the new version`;
    case 'approval-needed':
      return `${what}: green is healthy and checked; waiting for greenlight promote ${d.app} (or abort)`;
    case 'quiesced':
      return `${what}: ${d.before?.colour ?? 'the old colour'} quiesced (stop consuming queues)`;
    case 'succeeded':
      return `${what}: released (${cv(d.before)} → ${cv(d.after)})`;
    default:
      return `${what}: ${d.outcome ?? d.event}${d.reason ? `: ${d.reason}` : ''}`;
  }
}

/** An AWS Chatbot (Amazon Q Developer in chat applications) custom notification for SNS. */
export function chatMessage(d: ReleaseEventDetail): string {
  return JSON.stringify({
    version: '1.0',
    source: 'custom',
    id: `${d.executionArn}#${d.event}${d.percent === undefined ? '' : `#${d.percent}`}`,
    content: { textType: 'client-markdown', title: `greenlight: ${headline(d)}`.slice(0, 250), description: d.reason ?? headline(d) },
    metadata: { threadId: d.executionArn, summary: headline(d).slice(0, 250), eventType: DETAIL_TYPES[d.event], additionalContext: d },
  });
}

export function releaseSummary(r: Release): Pick<HistoryRecord, 'app' | 'version' | 'action' | 'trigger' | 'artifact'> {
  return { app: r.app, version: r.version, action: r.action ?? 'release', trigger: r.trigger, artifact: artifactOf(r.artifact) };
}

/**
 * What a hand-typed rollback goes back to: the version that was live before the one live now,
 * from the newest record that moved traffic to it (records newest first). After a release that
 * succeeded the idle colour's pin says the same; after one that failed, its colour is left
 * pinned to the bad version, and only the history knows what served before. Null when the
 * history does not tell (then the pin decides).
 */
export function rollbackTarget(records: readonly HistoryRecord[], liveVersion: string): { version: string; versionId: string | null } | null {
  const moved = (r: HistoryRecord) => r.outcome === 'released' || (r.outcome === 'rolled-back' && r.action === 'rollback');
  const to = records.find((r) => moved(r) && r.after?.version === liveVersion && r.before?.version && r.before.version !== liveVersion);
  if (!to) return null;
  const version = to.before!.version!;
  const own = records.find((r) => moved(r) && r.after?.version === version && r.artifact?.versionId);
  return { version, versionId: own?.artifact?.versionId ?? null };
}
