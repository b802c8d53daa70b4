import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { localTableName } from './dynalite.ts';

// The integration setup's dynalite, fronted by our TransactWriteItems layer; shop-stock has a pk/sk key.
const client = new DynamoDBClient({
  endpoint: process.env.DYNAMODB_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const TableName = localTableName('stock');
const key = (pk: string) => ({ pk: { S: pk }, sk: { S: 'T' } });
const read = async (pk: string) =>
  (await client.send(new GetItemCommand({ TableName, Key: key(pk), ConsistentRead: true }))).Item ?? null;
const take = (pk: string, q: number): TransactWriteItem => ({
  Update: {
    TableName,
    Key: key(pk),
    UpdateExpression: 'SET n = n - :q',
    ConditionExpression: 'n >= :q',
    ExpressionAttributeValues: { ':q': { N: String(q) } },
  },
});

describe('TransactWriteItems in front of dynalite', () => {
  it('names every failed condition, as DynamoDB does, and writes nothing', async () => {
    const [a, b, c, d] = [1, 2, 3, 4].map(() => `TXTEST#${randomUUID()}`) as [string, string, string, string];
    for (const [pk, n] of [
      [a, 1],
      [b, 5],
      [c, 0],
    ] as const)
      await client.send(new PutItemCommand({ TableName, Item: { ...key(pk), n: { N: String(n) } } }));
    const items: TransactWriteItem[] = [
      take(a, 2),
      take(b, 2),
      take(c, 1),
      { Put: { TableName, Item: { ...key(d), n: { N: '9' } }, ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
    const error = await client.send(new TransactWriteItemsCommand({ TransactItems: items })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'ConditionalCheckFailed',
      'None',
      'ConditionalCheckFailed',
      'None',
    ]);
    const n = (item: Record<string, AttributeValue> | null) => item?.n?.N;
    expect([n(await read(a)), n(await read(b)), n(await read(c)), await read(d)]).toEqual(['1', '5', '0', null]);
  });
});
