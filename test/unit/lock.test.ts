import { describe, expect, it } from '@jest/globals';
import { acquired, beforeRouteWrite, decideAcquire, type LockState, released, waiting } from '../../src/core/lock.js';
import { interleavedPairs } from '../../src/local/simulate.js';
import { SimDynamoDB } from '../../src/sim/dynamodb.js';

const a = { execution: 'arn:exec:a', since: 1_000, version: '1.0.1' };
const b = { execution: 'arn:exec:b', since: 2_000, version: '1.0.2' };
const c = { execution: 'arn:exec:c', since: 3_000, version: '1.0.3' };
const NOW = 10_000;

describe('core/lock: who may release', () => {
  it('a free lock is taken; the owner may take it again (a re-run or redrive)', () => {
    expect(decideAcquire({ rev: 0 }, a, NOW)).toEqual({ decision: 'acquire', why: 'free' });
    const held = acquired({ rev: 0 }, a, NOW + 600);
    expect(held).toMatchObject({ rev: 1, owner: a.execution, phase: 'running', leaseUntil: NOW + 600 });
    expect(decideAcquire(held, a, NOW)).toEqual({ decision: 'acquire', why: 'mine' });
  });

  it('a newer release waits for a running owner; an older one is superseded by a newer owner', () => {
    const held = acquired({ rev: 0 }, b, NOW + 600);
    expect(decideAcquire(held, c, NOW)).toMatchObject({ decision: 'wait', owner: b.execution });
    expect(decideAcquire(held, a, NOW)).toMatchObject({ decision: 'superseded', by: b.execution });
  });

  it('of several waiters only the newest proceeds', () => {
    const held = acquired({ rev: 0 }, a, NOW + 600);
    const bWaits = waiting(held, b);
    const cWaits = waiting(bWaits, c);
    expect(decideAcquire(cWaits, b, NOW)).toMatchObject({ decision: 'superseded', by: c.execution });
    expect(decideAcquire(cWaits, c, NOW)).toMatchObject({ decision: 'wait' });
    // Once the owner lets go, the newest waiter takes the lock and the waiter slot is cleared.
    const free = released(cWaits);
    expect(free.owner).toBeUndefined();
    expect(decideAcquire(free, c, NOW)).toEqual({ decision: 'acquire', why: 'free' });
    expect(acquired(free, c, NOW + 1).waiter).toBeUndefined();
    expect(decideAcquire(free, b, NOW)).toMatchObject({ decision: 'superseded' });
  });

  it('an older upload whose turn comes after a newer one took the lock is superseded, even once the newer one let go', () => {
    // c (newest) took the lock and failed; b (older) asks next: the newest stays the newest.
    const afterC = released(acquired({ rev: 0 }, c, NOW + 600));
    expect(afterC.owner).toBeUndefined();
    expect(decideAcquire(afterC, b, NOW)).toEqual({ decision: 'superseded', by: c.execution, byVersion: c.version });
    // A newer one (a later upload, or a hand-typed action started later) still proceeds, and becomes the newest.
    const d = { execution: 'arn:exec:d', since: 4_000, version: '1.0.4' };
    expect(decideAcquire(afterC, d, NOW)).toEqual({ decision: 'acquire', why: 'free' });
    expect(acquired(afterC, d, NOW + 600)).toMatchObject({ newestSince: 4_000, newestOwner: d.execution, newestVersion: '1.0.4' });
    // The newest itself may take it again (a re-run or redrive).
    expect(decideAcquire(afterC, c, NOW)).toEqual({ decision: 'acquire', why: 'free' });
  });

  it('an expired lease is taken over; an owner that only keeps its old colour warm yields at once', () => {
    const held: LockState = acquired({ rev: 0 }, a, NOW - 1);
    expect(decideAcquire(held, b, NOW)).toEqual({ decision: 'acquire', why: 'lease-expired' });
    const warm: LockState = { ...acquired({ rev: 0 }, a, NOW + 600), phase: 'warm' };
    expect(decideAcquire(warm, b, NOW)).toEqual({ decision: 'acquire', why: 'owner-keeping-warm' });
    expect(decideAcquire({ ...warm, phase: 'retiring' }, b, NOW)).toMatchObject({ decision: 'wait' });
  });
});

describe('core/lock: the fenced route write records the colour it brings up', () => {
  it("names the owner's new colour for the guard, only for the owner, and is gone once the lock is let go", () => {
    const held = acquired({ rev: 0 }, a, NOW + 600);
    const w = beforeRouteWrite(held, a.execution, NOW, false, 'green');
    expect(w).toMatchObject({ result: 'write', next: { ownerColour: 'green', routeWritten: true, rev: held.rev + 1 } });
    // Another execution's write is refused and changes nothing.
    expect(beforeRouteWrite(held, b.execution, NOW, false, 'blue')).toEqual({ result: 'lost' });
    expect(released(w.next!).ownerColour).toBeUndefined();
  });
});

describe('sim/dynamodb: conditional writes', () => {
  const db = new SimDynamoDB();
  db.createTable('t', 'pk', 'sk');
  const key = { pk: { S: 'app#web' }, sk: { S: 'lock' } };

  it('attribute_not_exists creates once; a second create fails with ConditionalCheckFailedException and the old item', () => {
    db.putItem({ TableName: 't', Item: { ...key, rev: { N: '1' } }, ConditionExpression: 'attribute_not_exists(pk)' });
    let err: (Error & { extra?: { Item?: unknown } }) | undefined;
    try {
      db.putItem({ TableName: 't', Item: { ...key, rev: { N: '9' } }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('ConditionalCheckFailedException');
    expect(err?.extra?.Item).toMatchObject({ rev: { N: '1' } });
    expect(db.getItem({ TableName: 't', Key: key }).Item?.rev).toEqual({ N: '1' });
  });

  it('compare-and-set on a revision: the first writer wins, the second is refused', () => {
    const cas = (rev: string, next: string) =>
      db.putItem({ TableName: 't', Item: { ...key, rev: { N: next } }, ConditionExpression: '#r = :r', ExpressionAttributeNames: { '#r': 'rev' }, ExpressionAttributeValues: { ':r': { N: rev } } });
    cas('1', '2');
    expect(() => cas('1', '2')).toThrow('The conditional request failed');
    expect(db.getItem({ TableName: 't', Key: key }).Item?.rev).toEqual({ N: '2' });
  });

  it('update expressions (SET with if_not_exists and +, REMOVE) and AND / OR / NOT / < conditions', () => {
    db.updateItem({
      TableName: 't',
      Key: key,
      UpdateExpression: 'SET n = if_not_exists(n, :zero) + :one, owner = :o REMOVE rev',
      ConditionExpression: '(attribute_exists(rev) AND rev < :three) OR NOT attribute_exists(pk)',
      ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':o': { S: 'x' }, ':three': { N: '3' } },
    });
    expect(db.getItem({ TableName: 't', Key: key }).Item).toEqual({ ...key, n: { N: '1' }, owner: { S: 'x' } });
    expect(() => db.updateItem({ TableName: 't', Key: key, UpdateExpression: 'SET n = :o', ExpressionAttributeValues: { ':o': { S: 'x' } }, ConditionExpression: 'owner <> :o' })).toThrow(
      'The conditional request failed',
    );
    expect(() => db.getItem({ TableName: 'nope', Key: key })).toThrow('Requested resource not found');
    expect(() => db.putItem({ TableName: 't', Item: { ...key, a: { S: 'x' } }, ConditionExpression: 'a = :undefined' })).toThrow(/attribute value used in expression is not defined/);
  });

  it('query: hash key and begins_with on the range key, newest first', () => {
    for (const t of ['2026-01-01', '2026-01-03', '2026-01-02']) db.putItem({ TableName: 't', Item: { pk: { S: 'app#web' }, sk: { S: `release#${t}` } } });
    const out = db.query({ TableName: 't', KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': { S: 'app#web' }, ':p': { S: 'release#' } }, ScanIndexForward: false, Limit: 2 });
    expect(out.Items.map((i) => i.sk.S)).toEqual(['release#2026-01-03', 'release#2026-01-02']);
  });
});

describe('simulate: the interleaving measure can fail', () => {
  const exec = (states: [number, string][]) => ({ statesEntered: states.map(([t, name]) => ({ t, name })), stoppedAt: states[states.length - 1][0] });
  it('counts overlapping busy spans, not waiting or keeping warm', () => {
    const first = exec([[0, 'Acquire'], [1, 'Plan'], [2, 'PrepareGreen'], [99, 'RetireStep'], [100, 'RetireWait'], [700, 'Reclaim'], [701, 'RetireStep'], [702, 'FinishReleased']]);
    const waitedThenRan = exec([[5, 'Acquire'], [6, 'WaitForLock'], [110, 'Plan'], [111, 'PrepareGreen'], [300, 'RetireWait']]);
    const ranAtOnce = exec([[5, 'Acquire'], [6, 'Plan'], [7, 'PrepareGreen'], [300, 'FinishReleased']]);
    expect(interleavedPairs([first, waitedThenRan])).toBe(0);
    expect(interleavedPairs([first, ranAtOnce])).toBe(1);
    expect(interleavedPairs([first, waitedThenRan, ranAtOnce])).toBe(2);
  });
});
