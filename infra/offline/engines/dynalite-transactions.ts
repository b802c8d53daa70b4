import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;
type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** A readers-writer lock: transactions run alone; every other request runs alongside the others. */
class TransactionLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; go: () => void }> = [];

  acquire(exclusive: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      const go = () => {
        if (exclusive) this.writer = true;
        else this.readers++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          if (exclusive) this.writer = false;
          else this.readers--;
          this.drain();
        });
      };
      this.waiting.push({ exclusive, go });
      this.drain();
    });
  }

  private drain(): void {
    while (this.waiting.length && !this.writer) {
      const next = this.waiting[0]!;
      if (next.exclusive && this.readers > 0) return;
      this.waiting.shift();
      next.go();
      if (next.exclusive) return;
    }
  }
}

class Cancelled extends Error {
  constructor(readonly reasons: Array<{ Code: string; Message?: string }>) {
    super(
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    );
  }
}

/**
 * dynalite 4 implements no transactions. This adds `TransactWriteItems` in front of it, with the
 * all-or-nothing contract DynamoDB gives: while a transaction runs no other request is served; its
 * writes are applied one by one with their own conditions through dynalite; if any condition failed, the items
 * written are restored from snapshots taken under the same lock. As in DynamoDB, every action's condition is
 * evaluated (against the item as it was before the transaction, since no item appears twice) and
 * CancellationReasons names each failed one, in order; the others say None.
 */
export function addTransactions(server: Server, endpoint: string): { close(): void } {
  const original = server.listeners('request')[0] as Listener;
  server.removeAllListeners('request');
  const lock = new TransactionLock();
  const bypass = randomBytes(12).toString('hex');
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-local-transaction'] = bypass;
      return next(args);
    },
    { step: 'build', name: 'localTransactionBypass' },
  );
  const keySchemas = new Map<string, string[]>();
  const keyOf = async (table: string, item: Item): Promise<Item> => {
    let names = keySchemas.get(table);
    if (!names) {
      const described = await client.send(new DescribeTableCommand({ TableName: table }));
      names = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName!);
      keySchemas.set(table, names);
    }
    return Object.fromEntries(names.map((n) => [n, item[n]!]));
  };

  async function apply(action: TransactWriteItem): Promise<void> {
    if (action.Put) await client.send(new PutItemCommand(action.Put));
    else if (action.Update) await client.send(new UpdateItemCommand(action.Update));
    else if (action.Delete) await client.send(new DeleteItemCommand(action.Delete));
    else if (action.ConditionCheck) {
      const c = action.ConditionCheck;
      await client.send(
        new UpdateItemCommand({
          TableName: c.TableName,
          Key: c.Key,
          ConditionExpression: c.ConditionExpression,
          ExpressionAttributeNames: { ...c.ExpressionAttributeNames, '#localTxProbe': 'localTxProbe' },
          ExpressionAttributeValues: c.ExpressionAttributeValues,
          UpdateExpression: 'REMOVE #localTxProbe',
        }),
      );
    }
  }

  async function transact(items: TransactWriteItem[]): Promise<void> {
    if (!items.length || items.length > 100)
      throw Object.assign(new Error('TransactItems must have 1 to 100 items'), { type: 'ValidationException' });
    const targets = await Promise.all(
      items.map(async (a) => {
        const table = (a.Put ?? a.Update ?? a.Delete ?? a.ConditionCheck)?.TableName;
        if (!table) throw Object.assign(new Error('Each TransactItem needs exactly one action'), { type: 'ValidationException' });
        const key = a.Put ? await keyOf(table, a.Put.Item ?? {}) : (a.Update ?? a.Delete ?? a.ConditionCheck)!.Key!;
        return { table, key };
      }),
    );
    const ids = targets.map((t) => `${t.table}|${JSON.stringify(Object.entries(t.key).sort())}`);
    if (new Set(ids).size !== ids.length) {
      throw Object.assign(new Error('Transaction request cannot include multiple operations on one item'), {
        type: 'ValidationException',
      });
    }
    const snapshots = await Promise.all(
      targets.map(
        async (t) => (await client.send(new GetItemCommand({ TableName: t.table, Key: t.key, ConsistentRead: true }))).Item,
      ),
    );
    const applied: number[] = [];
    const restore = async () => {
      for (const i of applied.reverse()) {
        const t = targets[i]!;
        const before = snapshots[i];
        if (before) await client.send(new PutItemCommand({ TableName: t.table, Item: before }));
        else await client.send(new DeleteItemCommand({ TableName: t.table, Key: t.key }));
      }
    };
    // Past a failed condition the rest are still evaluated, so the caller learns every failing item (e.g. every short line).
    const failed = new Set<number>();
    for (let i = 0; i < items.length; i++) {
      try {
        await apply(items[i]!);
        applied.push(i);
      } catch (error) {
        if (!(error instanceof DynamoDBServiceException && error.name === 'ConditionalCheckFailedException')) {
          await restore();
          throw error;
        }
        failed.add(i);
      }
    }
    if (failed.size) {
      await restore();
      throw new Cancelled(
        items.map((_, j) =>
          failed.has(j) ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' } : { Code: 'None' },
        ),
      );
    }
    // A condition check must leave no trace, not even an empty item where there was none.
    for (let i = 0; i < items.length; i++) {
      if (items[i]!.ConditionCheck && !snapshots[i])
        await client.send(new DeleteItemCommand({ TableName: targets[i]!.table, Key: targets[i]!.key }));
    }
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomBytes(16).toString('hex') });
    res.end(JSON.stringify(body));
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-local-transaction'] === bypass) return original(req, res);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'DynamoDB_20120810.TransactWriteItems') {
      void lock.acquire(false).then((release) => {
        res.once('close', release);
        res.once('finish', release);
        original(req, res);
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const release = await lock.acquire(true);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { TransactItems?: TransactWriteItem[] };
        await transact(body.TransactItems ?? []);
        send(res, 200, {});
      } catch (error) {
        if (error instanceof Cancelled) {
          send(res, 400, {
            __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
            message: error.message,
            CancellationReasons: error.reasons,
          });
        } else {
          const type = (error as { type?: string; name?: string }).type ?? (error as Error).name ?? 'InternalServerError';
          send(res, 400, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: (error as Error).message });
        }
      } finally {
        release();
      }
    });
  });
  return { close: () => client.destroy() };
}
