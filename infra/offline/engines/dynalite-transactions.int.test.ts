import { randomUUID } from 'node:crypto';
import { type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  type AttributeValue,
  BatchGetItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTableName } from './dynalite.ts';
import { addTransactions } from './dynalite-transactions.ts';

type Item = Record<string, AttributeValue>;
const dynamo = (endpoint: string | undefined) =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

// The integration setup's dynalite, fronted by our TransactWriteItems layer; shop-stock has a pk/sk key.
const client = dynamo(process.env.DYNAMODB_ENDPOINT);
const TableName = localTableName('stock');
const key = (pk: string, sk = 'T') => ({ pk: { S: pk }, sk: { S: sk } });
const n = (item: Item | null | undefined) => (item?.n?.N === undefined ? undefined : Number(item.n.N));
const read = async (pk: string, sk = 'T', table = TableName, via = client) =>
  (await via.send(new GetItemCommand({ TableName: table, Key: key(pk, sk), ConsistentRead: true }))).Item ?? null;
const put = (pk: string, sk: string, count: number, table = TableName, via = client) =>
  via.send(new PutItemCommand({ TableName: table, Item: { ...key(pk, sk), n: { N: String(count) } } }));
const partition = async (pk: string, table = TableName, via = client) =>
  (
    await via.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];
const take = (pk: string, q: number, sk = 'T', table = TableName): TransactWriteItem => ({
  Update: {
    TableName: table,
    Key: key(pk, sk),
    UpdateExpression: 'SET n = n - :q',
    ConditionExpression: 'n >= :q',
    ExpressionAttributeValues: { ':q': { N: String(q) } },
  },
});
const add = (pk: string, sk: string, q: number, table = TableName): TransactWriteItem => ({
  Update: {
    TableName: table,
    Key: key(pk, sk),
    UpdateExpression: 'SET n = n + :q',
    ExpressionAttributeValues: { ':q': { N: String(q) } },
  },
});
const transact = (items: TransactWriteItem[], via = client) =>
  via.send(new TransactWriteItemsCommand({ TransactItems: items })).then(
    () => 'ok' as const,
    (e: unknown) => {
      if (e instanceof TransactionCanceledException) return e.CancellationReasons?.map((r) => r.Code) ?? [];
      throw e;
    },
  );
/** Observes whether a promise has settled, without waiting for it. */
const watch = <T>(promise: Promise<T>) => {
  const state = { settled: false, promise };
  void promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
};

describe('TransactWriteItems in front of dynalite', () => {
  it('names every failed condition, as DynamoDB does, and writes nothing', async () => {
    const [a, b, c, d] = [1, 2, 3, 4].map(() => `TXTEST#${randomUUID()}`) as [string, string, string, string];
    for (const [pk, count] of [
      [a, 1],
      [b, 5],
      [c, 0],
    ] as const)
      await put(pk, 'T', count);
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
    expect([n(await read(a)), n(await read(b)), n(await read(c)), await read(d)]).toEqual([1, 5, 0, null]);
  });

  it('never lets a reader see a transaction half-applied, under concurrent moves and cancelled transactions', async () => {
    const pk = `TXSUM#${randomUUID()}`;
    await put(pk, 'A', 100);
    await put(pk, 'B', 100);
    // Moves between A and B keep A + B = 200. Each doomed transaction adds 1000 to A, then fails on a condition check
    // of an item that does not exist: a reader that sees its write sees a broken sum.
    const moves = Array.from({ length: 60 }, (_, i) => ({ from: i % 2 ? 'A' : 'B', q: 1 + (i % 5) }));
    const doomed: TransactWriteItem[] = [
      add(pk, 'A', 1000),
      { ConditionCheck: { TableName, Key: key(pk, 'C'), ConditionExpression: 'attribute_exists(pk)' } },
    ];
    let writing = true;
    const broken: string[] = [];
    const checkSum = (what: string, items: Item[]) => {
      const sum = items.reduce((s, item) => s + (n(item) ?? 0), 0);
      if (items.length !== 2 || sum !== 200) broken.push(`${what}: ${items.length} items, sum ${sum}`);
    };
    const readers = [
      async () => checkSum('query', await partition(pk)),
      async () => {
        const out = await client.send(
          new BatchGetItemCommand({
            RequestItems: { [TableName]: { Keys: [key(pk, 'A'), key(pk, 'B')], ConsistentRead: true } },
          }),
        );
        checkSum('batch get', out.Responses?.[TableName] ?? []);
      },
      async () => {
        const a = n(await read(pk, 'A'));
        if (a === undefined || a < 0 || a > 200) broken.push(`get A: ${a}`);
      },
    ];
    let reads = 0;
    const readLoop = async (readOnce: () => Promise<void>) => {
      while (writing) {
        await readOnce();
        reads++;
      }
    };
    const reading = readers.flatMap((r) => [readLoop(r), readLoop(r)]);
    const results = await Promise.all([
      ...moves.map((m) => transact([take(pk, m.q, m.from), add(pk, m.from === 'A' ? 'B' : 'A', m.q)])),
      ...Array.from({ length: 20 }, () => transact(doomed)),
    ]);
    writing = false;
    await Promise.all(reading);

    expect(broken).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(results.slice(60)).toEqual(Array(20).fill(['None', 'ConditionalCheckFailed']));
    const movedToB = moves.reduce((s, m, i) => (results[i] === 'ok' ? s + (m.from === 'A' ? m.q : -m.q) : s), 0);
    const final = await partition(pk); // C left no trace either
    expect(final.map((item) => [item.sk?.S, n(item)])).toEqual([
      ['A', 100 - movedToB],
      ['B', 100 + movedToB],
    ]);
  });

  it('never oversells: of many concurrent takes from one item, exactly floor(stock / q) succeed', async () => {
    const pk = `TXSTOCK#${randomUUID()}`;
    const orders = `TXORDERS#${randomUUID()}`;
    await put(pk, 'T', 50);
    // Every fourth order already exists, so its transaction fails after taking stock and must give exactly that back.
    for (let i = 0; i < 40; i += 4) await put(orders, `o${i}`, 0);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        transact([
          take(pk, 3),
          { Put: { TableName, Item: key(orders, `o${i}`), ConditionExpression: 'attribute_not_exists(pk)' } },
        ]),
      ),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(16);
    for (const [i, r] of results.entries()) {
      if (i % 4 === 0) expect(r).not.toBe('ok');
      if (r !== 'ok') expect(r[i % 4 === 0 ? 1 : 0]).toBe('ConditionalCheckFailed');
    }
    expect(n(await read(pk))).toBe(2);
    expect(await partition(orders)).toHaveLength(26);
  });
});

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A dynalite of this test's own, with a gate between the transactions layer and dynalite that can park the layer's
 * write of one item: a transaction then holds its locks for as long as the test wants, with no timing involved.
 */
describe('TransactWriteItems locking, with a transaction held open', () => {
  let server: Server;
  let layer: { close(): void };
  let local: DynamoDBClient;
  const parked: Array<{ match: string; arrived: () => void; opened: Promise<void> }> = [];
  const finishes: Array<{ match: string; finished: () => void }> = [];
  const [A, B] = ['txlock-a', 'txlock-b'];

  /** Parks the layer's next write whose body mentions `match` until `open()`. */
  const park = (match: string) => {
    let open = () => {};
    const opened = new Promise<void>((r) => (open = r));
    const arrived = new Promise<void>((r) => parked.push({ match, arrived: r, opened }));
    return { arrived, open };
  };
  /** Resolves once the layer's write whose body mentions `match` has been answered by dynalite. */
  const written = (match: string) => new Promise<void>((r) => finishes.push({ match, finished: r }));

  beforeAll(async () => {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dynaliteHandler = server.listeners('request')[0] as Listener;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const text = body.toString();
        const own = req.headers['x-local-transaction'] !== undefined;
        const gate = own ? parked.findIndex((p) => text.includes(p.match)) : -1;
        if (gate >= 0) {
          const [p] = parked.splice(gate, 1);
          p!.arrived();
          await p!.opened;
        }
        const done = own ? finishes.findIndex((f) => text.includes(f.match)) : -1;
        if (done >= 0) res.once('finish', finishes.splice(done, 1)[0]!.finished);
        dynaliteHandler(
          Object.assign(Readable.from([body]), { headers: req.headers, method: req.method, url: req.url }) as never,
          res,
        );
      });
    });
    layer = addTransactions(server, endpoint);
    local = dynamo(endpoint);
    for (const table of [A, B]) {
      await local.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
    }
  });

  afterAll(async () => {
    local?.destroy();
    layer?.close();
    await new Promise((r) => server?.close(r));
  });

  it('runs transactions on other items, and reads of them, while one transaction holds its items', async () => {
    const pk = `P#${randomUUID()}`;
    for (const sk of ['x1', 'x2', 'y1', 'y2', 'z']) await put(pk, sk, 0, A, local);
    await put(pk, 'w', 0, B, local);
    const gate = park(`"${pk}"},"sk":{"S":"x2"}`);
    const held = watch(transact([add(pk, 'x1', 1, A), add(pk, 'x2', 1, A)], local));
    await gate.arrived;

    // Same table, other items: a second transaction completes while the first still holds x1 and x2.
    expect(await transact([add(pk, 'y1', 1, A), add(pk, 'y2', 1, A)], local)).toBe('ok');
    expect(n(await read(pk, 'z', A, local))).toBe(0);
    expect(await partition(pk, B, local)).toHaveLength(1); // a Query on another table does not wait either
    expect(held.settled).toBe(false);

    // The held items, and a Query of their table, wait for it.
    const overlapping = watch(transact([add(pk, 'x1', 10, A)], local));
    const getX1 = watch(read(pk, 'x1', A, local));
    const query = watch(partition(pk, A, local));
    expect(n(await read(pk, 'z', A, local))).toBe(0);
    expect(await transact([add(pk, 'w', 1, B)], local)).toBe('ok');
    expect([held.settled, overlapping.settled, getX1.settled, query.settled]).toEqual([false, false, false, false]);

    gate.open();
    expect(await held.promise).toBe('ok');
    expect(await overlapping.promise).toBe('ok');
    expect([1, 11]).toContain(n(await getX1.promise));
    const seen = Object.fromEntries((await query.promise).map((item) => [item.sk?.S, n(item)]));
    expect(seen.x2).toBe(1);
    expect([1, 11]).toContain(seen.x1);
    expect([seen.y1, seen.y2]).toEqual([1, 1]);
  });

  it('makes a Query wait for a transaction on its table: it sees the state before or after, never between', async () => {
    const pk = `Q#${randomUUID()}`;
    await put(pk, 'a', 0, A, local);
    await put(pk, 'b', 0, A, local);
    const gate = park(`"${pk}"},"sk":{"S":"b"}`);
    const aWritten = written(`"${pk}"},"sk":{"S":"a"}`);
    const tx = watch(transact([add(pk, 'a', 1, A), add(pk, 'b', 1, A)], local));
    await gate.arrived;
    await aWritten; // dynalite now holds a = 1, b = 0: the transaction is half-applied
    const query = watch(partition(pk, A, local));
    const batch = watch(
      local.send(
        new BatchGetItemCommand({ RequestItems: { [A]: { Keys: [key(pk, 'a'), key(pk, 'b')], ConsistentRead: true } } }),
      ),
    );
    expect(n(await read(`other-${pk}`, 'a', A, local))).toBe(undefined);
    expect([tx.settled, query.settled, batch.settled]).toEqual([false, false, false]);
    gate.open();
    expect(await tx.promise).toBe('ok');
    expect((await query.promise).map(n)).toEqual([1, 1]);
    expect(((await batch.promise).Responses?.[A] ?? []).map(n)).toEqual([1, 1]);
  });

  it('never lets a GetItem see a write that a cancelled transaction then undoes', async () => {
    const pk = `D#${randomUUID()}`;
    await put(pk, 'd', 0, A, local);
    const gate = park(`"${pk}"},"sk":{"S":"e"}`);
    const dWritten = written(`"${pk}"},"sk":{"S":"d"}`);
    const tx = watch(
      transact(
        [
          add(pk, 'd', 1000, A),
          { ConditionCheck: { TableName: A, Key: key(pk, 'e'), ConditionExpression: 'attribute_exists(pk)' } },
        ],
        local,
      ),
    );
    await gate.arrived;
    await dWritten; // dynalite now holds d = 1000, until the failed check restores it
    const getD = watch(read(pk, 'd', A, local));
    expect(n(await read(pk, 'other', A, local))).toBe(undefined);
    expect(getD.settled).toBe(false);
    gate.open();
    expect(await tx.promise).toEqual(['None', 'ConditionalCheckFailed']);
    expect(n(await getD.promise)).toBe(0);
    expect(await partition(pk, A, local)).toHaveLength(1); // the check left no item e behind
  });

  it('releases the lock of a request whose caller hung up while it waited: the item and its table stay usable', async () => {
    const pk = `H#${randomUUID()}`;
    await put(pk, 'h', 0, A, local);
    const gate = park(`"${pk}"},"sk":{"S":"h"}`);
    const tx = watch(transact([add(pk, 'h', 1, A)], local));
    await gate.arrived;
    // A GetItem of the held item, read in full by the layer and queued behind the transaction, then abandoned (as an
    // SDK request timeout destroys its socket).
    const received = new Promise<void>((resolve) =>
      server.prependListener('request', (req: IncomingMessage) => {
        if (req.headers['x-amz-target'] === 'DynamoDB_20120810.GetItem') req.once('end', () => setImmediate(resolve));
      }),
    );
    const abandoned = request({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      method: 'POST',
      headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-type': 'application/x-amz-json-1.0' },
    });
    abandoned.on('error', () => {});
    abandoned.end(JSON.stringify({ TableName: A, Key: key(pk, 'h'), ConsistentRead: true }));
    await received;
    abandoned.destroy();
    gate.open();
    expect(await tx.promise).toBe('ok');
    // With the lock leaked, both of these would wait for ever (the test's timeout).
    expect(await transact([add(pk, 'h', 1, A)], local)).toBe('ok');
    expect((await partition(pk, A, local)).map(n)).toEqual([2]);
  });

  it('completes transactions taking the same items of two tables in opposite orders, with readers of both', async () => {
    const pk = `X#${randomUUID()}`;
    await put(pk, 'x', 0, A, local);
    await put(pk, 'y', 0, B, local);
    let writing = true;
    const broken: string[] = [];
    const readBoth = async () => {
      while (writing) {
        const out = await local.send(
          new BatchGetItemCommand({
            RequestItems: {
              [B]: { Keys: [key(pk, 'y')], ConsistentRead: true },
              [A]: { Keys: [key(pk, 'x')], ConsistentRead: true },
            },
          }),
        );
        const [x, y] = [n(out.Responses?.[A]?.[0]), n(out.Responses?.[B]?.[0])];
        if (x !== y) broken.push(`x ${x}, y ${y}`);
      }
    };
    const queryOne = async (table: string) => {
      while (writing) await partition(pk, table, local);
    };
    const readers = [readBoth(), readBoth(), queryOne(A), queryOne(B)];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        transact(i % 2 ? [add(pk, 'x', 1, A), add(pk, 'y', 1, B)] : [add(pk, 'y', 1, B), add(pk, 'x', 1, A)], local),
      ),
    );
    writing = false;
    await Promise.all(readers);
    expect(results).toEqual(Array(100).fill('ok'));
    expect(broken).toEqual([]);
    expect([n(await read(pk, 'x', A, local)), n(await read(pk, 'y', B, local))]).toEqual([100, 100]);
  });
});
