import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  PutItemCommand,
  type TransactWriteItem,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;
type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `shared`: single-item requests on an item, multi-item readers (Query, Scan, batches) on a table.
 * `intent`: transactions on every table they write in. `exclusive`: transactions on every item they touch.
 * Two holders of one resource are compatible when they hold it in the same mode and that mode is not exclusive.
 */
export type LockMode = 'shared' | 'intent' | 'exclusive';
const compatible = (held: LockMode, wanted: LockMode) => held === wanted && held !== 'exclusive';

/** Lock names: tables sort before items, so every request takes its table locks first. */
export const tableLock = (table: string) => `0|${table}`;
export const itemLock = (table: string, key: Item) =>
  `1|${table}|${JSON.stringify(
    Object.entries(key)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      // One number, one lock: `1`, `1.0` and `1e0` name the same item. (Past double precision two numbers may share a
      // lock, which only serialises them.)
      .map(([name, value]) => [name, value.N === undefined ? value : { N: String(Number(value.N)) }]),
  )}`;

/**
 * Named locks, each granted first come first served (a request never overtakes an earlier incompatible one, so
 * neither readers nor transactions starve). No deadlock: every request takes its locks in one global sorted order and
 * holds them until it ends, so one waiting on lock L holds only locks before L and waits only for holders of L (who
 * wait, if at all, for locks after L) or for those queued ahead of it on L: no chain of waits can come back to it.
 */
export class LockManager {
  private readonly locks = new Map<
    string,
    { mode: LockMode; holders: number; queue: Array<{ mode: LockMode; grant: () => void }> }
  >();

  /** Resolves, once every lock is held, to the function that releases them all. */
  async acquire(wanted: Iterable<[string, LockMode]>): Promise<() => void> {
    const held: string[] = [];
    for (const [name, mode] of [...new Map(wanted)].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await this.take(name, mode);
      held.push(name);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const name of held) this.give(name);
    };
  }

  private take(name: string, mode: LockMode): Promise<void> | undefined {
    const lock = this.locks.get(name);
    if (!lock) {
      this.locks.set(name, { mode, holders: 1, queue: [] });
      return;
    }
    if (!lock.queue.length && compatible(lock.mode, mode)) {
      lock.holders++;
      return;
    }
    return new Promise((grant) => lock.queue.push({ mode, grant }));
  }

  private give(name: string): void {
    const lock = this.locks.get(name)!;
    lock.holders--;
    while (lock.queue.length && (lock.holders === 0 || compatible(lock.mode, lock.queue[0]!.mode))) {
      const next = lock.queue.shift()!;
      lock.mode = next.mode;
      lock.holders++;
      next.grant();
    }
    if (lock.holders === 0) this.locks.delete(name);
  }
}

class Cancelled extends Error {
  constructor(readonly reasons: Array<{ Code: string; Message?: string }>) {
    super(
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    );
  }
}

const validation = (message: string) => Object.assign(new Error(message), { type: 'ValidationException' });
const SINGLE_ITEM = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * dynalite 4 implements no transactions. This adds `TransactWriteItems` in front of it, with the all-or-nothing
 * contract DynamoDB gives, through the locks above: a transaction holds its items exclusively and its tables against
 * multi-item readers, so no request sees it half-applied, while requests on other items run alongside. Its writes go
 * through dynalite in parallel with their own conditions; if any condition failed, the items written are restored
 * from snapshots taken under the same locks. As in DynamoDB, every action's condition is evaluated (against the item
 * as it was before the transaction, since no item appears twice) and CancellationReasons names each failed one, in
 * order; the others say None.
 */
export function addTransactions(server: Server, endpoint: string): { close(): void } {
  const original = server.listeners('request')[0] as Listener;
  server.removeAllListeners('request');
  const locks = new LockManager();
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

  /** Applies one action with its own condition; resolves to the item as it was before (ALL_OLD), for a restore. */
  async function apply(action: TransactWriteItem): Promise<Item | undefined> {
    const old = { ReturnValues: 'ALL_OLD' } as const;
    if (action.Put) return (await client.send(new PutItemCommand({ ...action.Put, ...old }))).Attributes;
    if (action.Update) return (await client.send(new UpdateItemCommand({ ...action.Update, ...old }))).Attributes;
    if (action.Delete) return (await client.send(new DeleteItemCommand({ ...action.Delete, ...old }))).Attributes;
    const c = action.ConditionCheck!;
    const probe = new UpdateItemCommand({
      TableName: c.TableName,
      Key: c.Key,
      ConditionExpression: c.ConditionExpression,
      ExpressionAttributeNames: { ...c.ExpressionAttributeNames, '#localTxProbe': 'localTxProbe' },
      ExpressionAttributeValues: c.ExpressionAttributeValues,
      UpdateExpression: 'REMOVE #localTxProbe',
      ...old,
    });
    return (await client.send(probe)).Attributes;
  }

  /** The item each action touches; validation errors as DynamoDB answers them. */
  async function targetsOf(items: TransactWriteItem[]): Promise<Array<{ table: string; key: Item; lock: string }>> {
    if (!items.length || items.length > 100) throw validation('TransactItems must have 1 to 100 items');
    const targets = await Promise.all(
      items.map(async (a) => {
        const table = (a.Put ?? a.Update ?? a.Delete ?? a.ConditionCheck)?.TableName;
        if (!table) throw validation('Each TransactItem needs exactly one action');
        const key = a.Put ? await keyOf(table, a.Put.Item ?? {}) : (a.Update ?? a.Delete ?? a.ConditionCheck)!.Key!;
        return { table, key, lock: itemLock(table, key) };
      }),
    );
    if (new Set(targets.map((t) => t.lock)).size !== targets.length)
      throw validation('Transaction request cannot include multiple operations on one item');
    return targets;
  }

  async function transact(items: TransactWriteItem[]): Promise<void> {
    const targets = await targetsOf(items);
    const release = await locks.acquire([
      ...targets.map((t): [string, LockMode] => [tableLock(t.table), 'intent']),
      ...targets.map((t): [string, LockMode] => [t.lock, 'exclusive']),
    ]);
    try {
      await run(items, targets);
    } finally {
      release();
    }
  }

  // Items are distinct and every condition is evaluated against the state before the transaction, so the writes,
  // and the restores, go in parallel.
  async function run(items: TransactWriteItem[], targets: Array<{ table: string; key: Item }>): Promise<void> {
    const outcomes = await Promise.allSettled(items.map(apply));
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    if (failures.length) {
      await settleAll(outcomes.map((o, i) => (o.status === 'fulfilled' ? restore(targets[i]!, o.value) : undefined)));
      const other = failures.find(
        (e) => !(e instanceof DynamoDBServiceException && e.name === 'ConditionalCheckFailedException'),
      );
      if (other) throw other;
      // Every failed condition is named, so the caller learns every failing item (e.g. every short line).
      throw new Cancelled(
        outcomes.map((o) =>
          o.status === 'rejected'
            ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
            : { Code: 'None' },
        ),
      );
    }
    // A condition check must leave no trace, not even an empty item where there was none.
    await settleAll(
      outcomes.map((o, i) =>
        items[i]!.ConditionCheck && o.status === 'fulfilled' && !o.value ? restore(targets[i]!, undefined) : undefined,
      ),
    );
  }

  /** Waits for every write, then throws the first failure: the locks are released only once none is still running. */
  async function settleAll(writes: Array<Promise<unknown> | undefined>): Promise<void> {
    const failed = (await Promise.allSettled(writes)).find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  const restore = (t: { table: string; key: Item }, before: Item | undefined) =>
    before
      ? client.send(new PutItemCommand({ TableName: t.table, Item: before }))
      : client.send(new DeleteItemCommand({ TableName: t.table, Key: t.key }));

  /** The locks a request other than a transaction takes: its item for single-item requests, else its tables. */
  async function locksOf(operation: string, body: Record<string, unknown>): Promise<Array<[string, LockMode]>> {
    const table = typeof body.TableName === 'string' ? body.TableName : undefined;
    if (SINGLE_ITEM.has(operation)) {
      if (!table) return [];
      const key = operation === 'PutItem' ? await keyOf(table, (body.Item ?? {}) as Item).catch(() => null) : body.Key;
      // Without a key (or a table) dynalite answers the validation error: nothing to lock.
      return key && typeof key === 'object' ? [[itemLock(table, key as Item), 'shared']] : [];
    }
    // Query, Scan, the batches and anything else that names tables: a table lock, so no multi-item read sees half a
    // transaction. Control-plane requests (DescribeTable...) take it too; they only wait for transactions in flight.
    const tables = [...(table ? [table] : []), ...Object.keys((body.RequestItems ?? {}) as object)];
    return tables.map((t) => [tableLock(t), 'shared']);
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomBytes(16).toString('hex') });
    res.end(JSON.stringify(body));
  };

  async function transactRequest(body: { TransactItems?: TransactWriteItem[] }, res: ServerResponse): Promise<void> {
    try {
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
    }
  }

  /** Hands a request whose body was read to dynalite, as if it came straight from the socket. */
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) =>
    original(Object.assign(Readable.from([body]), { headers: req.headers, method: req.method, url: req.url }) as never, res);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-local-transaction'] === bypass || req.method !== 'POST') return original(req, res);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown> | null = null;
      try {
        body = JSON.parse(raw.toString('utf8') || '{}');
      } catch {}
      // dynalite answers what is not a JSON object (SerializationException); there is nothing to lock.
      if (typeof body !== 'object' || body === null) return forward(req, raw, res);
      if (operation === 'TransactWriteItems') return transactRequest(body, res);
      // A table made again may have another key: its key schema is read afresh.
      if ((operation === 'DeleteTable' || operation === 'CreateTable') && typeof body.TableName === 'string')
        keySchemas.delete(body.TableName);
      const release = await locks.acquire(await locksOf(operation, body));
      // The caller hung up while queued (an SDK timeout destroys the socket): nothing to serve, nothing to write.
      if (res.destroyed || req.socket.destroyed) return release();
      // Held until dynalite has done the work and answers, even if the caller hangs up meanwhile: a socket's close
      // is no sign that dynalite's write is over, and a lock released on it early could let a transaction undo it.
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        release();
        return end(...args);
      }) as typeof res.end;
      forward(req, raw, res);
    });
  });
  return { close: () => client.destroy() };
}
