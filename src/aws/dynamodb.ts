import {
  type AttributeValue,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { HistoryRecord } from '../core/history.js';
import type { LockState } from '../core/lock.js';
import { registerClient } from './clients.js';
import { call } from './errors.js';

registerClient('dynamodb', (config) => new DynamoDBClient(config));

// greenlight's table: pk = "app#<app>"; sk = "lock" (the app's lock) or
// "release#<start time>#<execution name>" (one history record per release).

type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain | undefined };

export function marshal(v: Plain): AttributeValue {
  if (v === null) return { NULL: true };
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'number') return { N: String(v) };
  if (typeof v === 'boolean') return { BOOL: v };
  if (Array.isArray(v)) return { L: v.map(marshal) };
  return { M: marshalItem(v) };
}

export function marshalItem(o: { [k: string]: Plain | undefined }): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined).map(([k, x]) => [k, marshal(x as Plain)]));
}

export function unmarshal(a: AttributeValue): Plain {
  if (a.S !== undefined) return a.S;
  if (a.N !== undefined) return Number(a.N);
  if (a.BOOL !== undefined) return a.BOOL;
  if (a.L) return a.L.map(unmarshal);
  if (a.M) return unmarshalItem(a.M);
  return null;
}

export function unmarshalItem(m: Record<string, AttributeValue>): { [k: string]: Plain } {
  return Object.fromEntries(Object.entries(m).map(([k, x]) => [k, unmarshal(x)]));
}

const lockKey = (app: string) => ({ pk: { S: `app#${app}` }, sk: { S: 'lock' } });

export async function readLock(db: DynamoDBClient, table: string, app: string): Promise<LockState> {
  const out = await call(`dynamodb:GetItem ${table} lock ${app}`, () => db.send(new GetItemCommand({ TableName: table, Key: lockKey(app), ConsistentRead: true })));
  if (!out.Item) return { rev: 0 };
  const { pk: _pk, sk: _sk, ...rest } = unmarshalItem(out.Item);
  return rest as unknown as LockState;
}

/**
 * Write the lock only if nobody changed it since `expectedRev` was read (0: it did not exist).
 * Returns false when somebody did: the caller reads it again and decides again.
 */
export async function writeLock(db: DynamoDBClient, table: string, app: string, expectedRev: number, next: LockState): Promise<boolean> {
  try {
    await call(`dynamodb:PutItem ${table} lock ${app}`, () =>
      db.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...lockKey(app), ...marshalItem(next as unknown as Record<string, Plain>) },
          ConditionExpression: expectedRev === 0 ? 'attribute_not_exists(pk)' : '#rev = :rev',
          ...(expectedRev === 0 ? {} : { ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': { N: String(expectedRev) } } }),
        }),
      ),
    );
    return true;
  } catch (err) {
    if ((err as Error)?.cause instanceof Error && ((err as Error).cause as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

function historyKey(app: string, startedAt: string, executionArn: string) {
  return { pk: { S: `app#${app}` }, sk: { S: `release#${startedAt}#${executionArn.split(':').pop()}` } };
}

export async function putHistory(db: DynamoDBClient, table: string, r: HistoryRecord): Promise<void> {
  await call(`dynamodb:PutItem ${table} history ${r.app}`, () =>
    db.send(new PutItemCommand({ TableName: table, Item: { ...historyKey(r.app, r.startedAt, r.executionArn), ...marshalItem(r as unknown as Record<string, Plain>) } })),
  );
}

export async function readHistory(db: DynamoDBClient, table: string, app: string, limit = 20): Promise<HistoryRecord[]> {
  const out = await call(`dynamodb:Query ${table} history ${app}`, () =>
    db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: `app#${app}` }, ':prefix': { S: 'release#' } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    ),
  );
  return (out.Items ?? []).map((i) => {
    const { pk: _pk, sk: _sk, ...rest } = unmarshalItem(i);
    return rest as unknown as HistoryRecord;
  });
}

export async function tableStatus(db: DynamoDBClient, table: string): Promise<string> {
  const out = await call(`dynamodb:DescribeTable ${table}`, () => db.send(new DescribeTableCommand({ TableName: table })));
  return String(out.Table?.TableStatus ?? 'UNKNOWN');
}
