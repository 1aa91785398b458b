import { ConditionalCheckFailedException, DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { HistoryRecord } from '../core/history.js';
import type { LockState } from '../core/lock.js';
import { registerClient } from './clients.js';
import { call, mapAwsError } from './errors.js';

registerClient('dynamodb', (config) => new DynamoDBClient(config));

// greenlight's table: pk = "app#<app>"; sk = "lock" (the app's lock) or
// "release#<start time>#<execution name>" (one history record per release). Items are built
// and read with @aws-sdk/util-dynamodb; this module is the only one that knows their layout.

const MARSHALL = { removeUndefinedValues: true } as const;

export const lockKey = (app: string) => ({ pk: { S: `app#${app}` }, sk: { S: 'lock' } });

/** The lock as an item (for the simulator's seeding and the adapter's own writes). */
export function lockItem(app: string, lock: LockState) {
  return { ...marshall(lock, MARSHALL), ...lockKey(app) };
}

/** An item read from the table as the lock it holds (`{ rev: 0 }`: no item, a lock never taken). */
export function lockOf(item: Record<string, unknown> | undefined): LockState {
  if (!item) return { rev: 0 };
  const { pk: _pk, sk: _sk, ...rest } = unmarshall(item as never);
  return rest as LockState;
}

/** The history records' query: every release of the app, by start time. */
export function historyQuery(app: string) {
  return { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': { S: `app#${app}` }, ':prefix': { S: 'release#' } } };
}

/**
 * Somebody changed the lock since it was read: `current` is the item as DynamoDB holds it now
 * (undefined when the answer carried no item: the item is gone, or the endpoint does not return
 * it; the caller then reads it again).
 */
export class LockChanged extends Error {
  override readonly name = 'LockChanged';
  constructor(
    readonly app: string,
    readonly current: LockState | undefined,
  ) {
    super(`${app}'s lock changed since it was read${current ? ` (now revision ${current.rev})` : ''}`);
  }
}

export async function readLock(db: DynamoDBClient, table: string, app: string): Promise<LockState> {
  const out = await call(`dynamodb:GetItem ${table} lock ${app}`, () => db.send(new GetItemCommand({ TableName: table, Key: lockKey(app), ConsistentRead: true })));
  return lockOf(out.Item);
}

/**
 * Write the lock only if nobody changed it since `expectedRev` was read (0: it did not exist).
 * When somebody did: LockChanged, with the item as it is now (ReturnValuesOnConditionCheckFailure),
 * so the caller decides again without reading it again.
 */
async function writeLock(db: DynamoDBClient, table: string, app: string, expectedRev: number, next: LockState): Promise<void> {
  try {
    await db.send(
      new PutItemCommand({
        TableName: table,
        Item: lockItem(app, next),
        ConditionExpression: expectedRev === 0 ? 'attribute_not_exists(pk)' : '#rev = :rev',
        ...(expectedRev === 0 ? {} : { ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': { N: String(expectedRev) } } }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) throw new LockChanged(app, err.Item ? lockOf(err.Item) : undefined);
    throw mapAwsError(err, `dynamodb:PutItem ${table} lock ${app}`);
  }
}

/** How many times a lock change reads (or is told) the lock again after losing a race, at most. */
export const LOCK_ATTEMPTS = 4;

/**
 * The one way the lock changes: read it, let `change` decide, write its `next` only if nobody
 * changed the lock since (compare-and-set on its revision). A lost race hands `change` the lock
 * as it now is, and it decides again. Undefined when every attempt lost.
 */
export async function changeLock<T>(
  db: DynamoDBClient,
  table: string,
  app: string,
  change: (lock: LockState) => { next?: LockState; result: T },
  /** The lock as the caller just read it (saves the first read; a stale one costs one lost write). */
  known?: LockState,
): Promise<T | undefined> {
  let lock = known ?? (await readLock(db, table, app));
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    const c = change(lock);
    if (!c.next) return c.result;
    try {
      await writeLock(db, table, app, lock.rev, c.next);
      return c.result;
    } catch (err) {
      if (!(err instanceof LockChanged)) throw err;
      lock = err.current ?? (await readLock(db, table, app));
    }
  }
  return undefined;
}

function historyKey(app: string, startedAt: string, executionArn: string) {
  return { pk: { S: `app#${app}` }, sk: { S: `release#${startedAt}#${executionArn.split(':').pop()}` } };
}

export async function putHistory(db: DynamoDBClient, table: string, r: HistoryRecord): Promise<void> {
  await call(`dynamodb:PutItem ${table} history ${r.app}`, () =>
    db.send(new PutItemCommand({ TableName: table, Item: { ...marshall(r, MARSHALL), ...historyKey(r.app, r.startedAt, r.executionArn) } })),
  );
}

export async function readHistory(db: DynamoDBClient, table: string, app: string, limit = 20): Promise<HistoryRecord[]> {
  const out = await call(`dynamodb:Query ${table} history ${app}`, () =>
    db.send(
      new QueryCommand({
        TableName: table,
        ...historyQuery(app),
        ScanIndexForward: false,
        Limit: limit,
      }),
    ),
  );
  return (out.Items ?? []).map((i) => {
    const { pk: _pk, sk: _sk, ...rest } = unmarshall(i);
    return rest as unknown as HistoryRecord;
  });
}

export async function tableStatus(db: DynamoDBClient, table: string): Promise<string> {
  const out = await call(`dynamodb:DescribeTable ${table}`, () => db.send(new DescribeTableCommand({ TableName: table })));
  return String(out.Table?.TableStatus ?? 'UNKNOWN');
}
