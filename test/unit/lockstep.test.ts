import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deps } from '../../src/steps/deps.js';
import { lockStep } from '../../src/steps/lock.js';

// Lock contention never crashes an execution: when every compare-and-set loses, the answer
// still has the field its Choice reads, or the step fails with an error its Retry repeats.

const db = mockClient(DynamoDBClient);
afterAll(() => db.restore());

const me = 'arn:aws:states:us-east-1:123456789012:execution:greenlight-release:web-1';
const deps = {
  clients: { dynamodb: new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }) },
  env: { table: 'greenlight', artifactBucket: 'b', releaseStateMachineArn: '', eventBusName: 'default', topicArn: '' },
  config: { apps: {} },
  now: () => new Date('2026-01-05T09:00:00Z'),
} as unknown as Deps;
const input = (op: 'acquire' | 'warm' | 'reclaim') => ({
  op,
  release: { app: 'web', version: '1.4.2', trigger: 's3' as const, artifact: { bucket: 'b', key: 'k', versionId: 'v', sha256: null, type: 'ami' as const } },
  settings: { pollSeconds: 5, timeoutSeconds: 300, keepWarmSeconds: 60, approval: false },
  execution: { id: me, startTime: '2026-01-05T08:59:00Z' },
});

describe('Function: lockStep under contention', () => {
  it('every write losing: acquire waits (with a state), a phase change throws a retried error', async () => {
    db.reset();
    // The lock is ours, but somebody else writes it between every read and write.
    let rev = 1;
    db.on(GetItemCommand).callsFake(async () => ({ Item: { pk: { S: 'app#web' }, sk: { S: 'lock' }, rev: { N: String(rev++) }, owner: { S: me }, phase: { S: 'running' } } }));
    db.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(lockStep(deps, input('warm'))).rejects.toMatchObject({ name: 'TransientAwsError' });
    await expect(lockStep(deps, input('reclaim'))).rejects.toMatchObject({ name: 'TransientAwsError' });
    db.on(GetItemCommand).callsFake(async () => ({ Item: { pk: { S: 'app#web' }, sk: { S: 'lock' }, rev: { N: String(rev++) }, owner: { S: `${me}-other` }, ownerSince: { N: '1' }, leaseUntil: { N: '9999999999' }, phase: { S: 'running' } } }));
    const r = (await lockStep(deps, input('acquire'))) as { state: string; waitSeconds: number };
    expect(r.state).toBe('waiting');
    expect(r.waitSeconds).toBeGreaterThan(0);
  });
});

describe('The lock adapter: a lost race decides again on the item DynamoDB returned', () => {
  it('ReturnValuesOnConditionCheckFailure: the current item comes with the failure, so the retry reads nothing', async () => {
    const { changeLock } = await import('../../src/aws/dynamodb.js');
    db.reset();
    db.on(GetItemCommand).resolves({ Item: { pk: { S: 'app#web' }, sk: { S: 'lock' }, rev: { N: '1' } } });
    // The first write loses to a writer that made revision 2; the second wins.
    db.on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { pk: { S: 'app#web' }, sk: { S: 'lock' }, rev: { N: '2' }, owner: { S: 'other' } } }))
      .resolves({});
    const seen: (string | undefined)[] = [];
    const r = await changeLock(deps.clients.dynamodb, 'greenlight', 'web', (l) => {
      seen.push(`${l.rev} ${l.owner ?? '-'}`);
      return { next: { ...l, rev: l.rev + 1, waiter: me }, result: l.rev };
    });
    expect(r).toBe(2);
    expect(seen).toEqual(['1 -', '2 other']);
    expect(db.commandCalls(GetItemCommand).length).toBe(1);
    const puts = db.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.ExpressionAttributeValues?.[':rev']?.N)).toEqual(['1', '2']);
    expect(puts.every((p) => p.ReturnValuesOnConditionCheckFailure === 'ALL_OLD')).toBe(true);
  });
});
