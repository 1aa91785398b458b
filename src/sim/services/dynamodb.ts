import * as SDK from '@aws-sdk/client-dynamodb';
import { SimAwsError } from '../errors.js';
import type { World } from '../world.js';
import { defineService } from './service.js';

// DynamoDB, as the simulator answers it: the commands greenlight and its CLI call.

export const dynamodb = defineService({
  name: 'dynamodb',
  iamPrefix: 'dynamodb',
  sdk: SDK,
  baseException: 'DynamoDBServiceException',
  faults: { throttle: ['ThrottlingException', 400], 'server-error': ['InternalServerError', 500], 'access-denied': ['AccessDeniedException', 400] },
  commands: (w: World, _sfn) => ({
    DescribeTableCommand: (i: { TableName: string }) => {
      const t = w.dynamodb.tables.get(i.TableName);
      if (!t) throw new SimAwsError('ResourceNotFoundException', `Requested resource not found: Table: ${i.TableName} not found`);
      return { Table: { TableName: t.name, TableStatus: 'ACTIVE', ItemCount: t.items.size, KeySchema: [{ AttributeName: t.hash, KeyType: 'HASH' }, ...(t.range ? [{ AttributeName: t.range, KeyType: 'RANGE' }] : [])] } };
    },
    GetItemCommand: (i) => w.dynamodb.getItem(i),
    PutItemCommand: (i) => w.dynamodb.putItem(i),
    UpdateItemCommand: (i) => w.dynamodb.updateItem(i),
    DeleteItemCommand: (i) => w.dynamodb.deleteItem(i),
    QueryCommand: (i) => w.dynamodb.query(i),
  }),
});
