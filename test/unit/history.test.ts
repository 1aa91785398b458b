import { describe, expect, it } from '@jest/globals';
import { type HistoryRecord, rollbackTarget } from '../../src/core/history.js';

const rec = (version: string, outcome: HistoryRecord['outcome'], before: string | null, after: string | null, action = 'release', versionId = `s3v-${version}`): HistoryRecord => ({
  app: 'web',
  version,
  action,
  trigger: 'upload',
  executionArn: `arn:exec:${version}:${outcome}`,
  artifact: { bucket: 'b', key: `releases/web/${version}.json`, versionId, sha256: null },
  startedAt: '2026-01-05T09:00:00Z',
  endedAt: '2026-01-05T09:10:00Z',
  outcome,
  reason: null,
  before: before ? { colour: 'blue', version: before } : null,
  after: after ? { colour: 'green', version: after } : null,
});

describe('Function: rollbackTarget', () => {
  it('after a failed release, the version that served before the live one (not the failed one on the idle colour)', () => {
    // Newest first: 2.1.0 was rolled back; 2.0.0 is live, released over 1.4.1.
    const history = [rec('2.1.0', 'rolled-back', '2.0.0', '2.0.0'), rec('2.0.0', 'released', '1.4.1', '2.0.0'), rec('1.4.1', 'released', '1.4.0', '1.4.1')];
    expect(rollbackTarget(history, '2.0.0')).toEqual({ version: '1.4.1', versionId: 's3v-1.4.1' });
  });
  it('a rollback that moved traffic counts as the move to what is live; no history, no answer', () => {
    const history = [rec('1.4.1', 'rolled-back', '2.0.0', '1.4.1', 'rollback'), rec('2.0.0', 'released', '1.4.1', '2.0.0')];
    expect(rollbackTarget(history, '1.4.1')).toEqual({ version: '2.0.0', versionId: 's3v-2.0.0' });
    expect(rollbackTarget([], '2.0.0')).toBeNull();
    // Only records that moved traffic count: a rejected or failed release is no move.
    expect(rollbackTarget([rec('2.0.0', 'failed', '1.4.1', '2.0.0'), rec('2.0.0', 'rejected', '1.4.1', '2.0.0')], '2.0.0')).toBeNull();
  });
});
