import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { PendingEvents, Reservation, ReserveOutcome, StockLevel, StockStore } from '../domain/ports.ts';

type Item = Record<string, AttributeValue>;

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const B = (b: boolean): AttributeValue => ({ BOOL: b });
const stockKey = (productId: string): Item => ({ pk: S(`PRODUCT#${productId}`), sk: S('STOCK') });
const reservationKey = (orderId: string): Item => ({ pk: S(`ORDER#${orderId}`), sk: S('RESERVATION') });
const epochSeconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/** Outbox records are spread over a few partitions so a busy relay never makes one hot key. */
const OUTBOX_SHARDS = 4;
/** A relay that dies holding records lets them go after this long. */
const OUTBOX_LEASE_MS = 30_000;
export const HOLDS_INDEX = 'holds';

/** Retries of a transaction that lost a race with another one (DynamoDB's TransactionConflict), with jitter. */
async function withConflictRetry<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const conflict =
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
      if (!conflict || attempt >= 6) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** attempt));
    }
  }
}

function failedIndexes(error: unknown): number[] | null {
  if (!(error instanceof TransactionCanceledException)) return null;
  const reasons = error.CancellationReasons ?? [];
  const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
  return failed.length ? failed : null;
}

function toLevel(item: Item): StockLevel {
  return {
    productId: item.productId?.S ?? '',
    available: Number(item.available?.N ?? 0),
    reserved: Number(item.reserved?.N ?? 0),
    lowStockThreshold: Number(item.lowStockThreshold?.N ?? 0),
    lowAlerted: item.lowAlerted?.BOOL ?? false,
    depletedAlerted: item.depletedAlerted?.BOOL ?? false,
    version: Number(item.version?.N ?? 0),
    updatedAt: item.updatedAt?.S ?? null,
  };
}

function toReservation(item: Item): Reservation {
  return {
    orderId: item.orderId!.S!,
    status: item.status!.S as Reservation['status'],
    lines: JSON.parse(item.lines?.S ?? '[]'),
    expiresAt: item.expiresAt!.S!,
    createdAt: item.createdAt!.S!,
  };
}

/** Stock levels, reservations and the stock outbox in one DynamoDB table (`stock`, pk/sk, TTL on `purgeAt`). */
export class DynamoStockStore implements StockStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  private outboxPut(event: EventEnvelope | null, productIds: string[], at: string): TransactWriteItem {
    const id = event?.id ?? `chk_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    const shard = [...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % OUTBOX_SHARDS, 0);
    return {
      Put: {
        TableName: this.table,
        Item: {
          pk: S(`OUTBOX#${shard}`),
          sk: S(`${event?.occurredAt ?? at}#${id}`),
          productIds: S(JSON.stringify(productIds)),
          ...(event ? { envelope: S(JSON.stringify(event)) } : {}),
        },
      },
    };
  }

  /**
   * One transaction; true when written, false when the first item's condition failed (the caller's "already done" or
   * "stale version" answer). Any other failure throws. Conflicts with concurrent transactions are retried on request.
   */
  private async transactUnlessFirstFails(items: TransactWriteItem[], options: { retryConflicts: boolean }): Promise<boolean> {
    const send = () => this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    try {
      await (options.retryConflicts ? withConflictRetry(send) : send());
      return true;
    } catch (error) {
      if (failedIndexes(error)?.includes(0)) return false;
      throw error;
    }
  }

  async level(productId: string): Promise<StockLevel | null> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: stockKey(productId), ConsistentRead: true }),
    );
    return out.Item ? toLevel(out.Item) : null;
  }

  async writeLevel(
    level: Pick<StockLevel, 'productId' | 'available' | 'lowStockThreshold'>,
    expectedVersion: number | null,
    audit: { reason: string; by: string; at: string },
    options: { checkSignals?: boolean } = {},
  ): Promise<boolean> {
    return this.transactUnlessFirstFails(
      [
        {
          Update: {
            TableName: this.table,
            Key: stockKey(level.productId),
            UpdateExpression:
              'SET productId = :id, available = :a, lowStockThreshold = :t, updatedAt = :at, lastChange = :change, version = :next, ' +
              'reserved = if_not_exists(reserved, :zero), lowAlerted = if_not_exists(lowAlerted, :no), depletedAlerted = if_not_exists(depletedAlerted, :no)',
            ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :v',
            ExpressionAttributeValues: {
              ':id': S(level.productId),
              ':a': N(level.available),
              ':t': N(level.lowStockThreshold),
              ':at': S(audit.at),
              ':change': { M: { reason: S(audit.reason), by: S(audit.by), at: S(audit.at) } },
              ':next': N((expectedVersion ?? 0) + 1),
              ':zero': N(0),
              ':no': B(false),
              ...(expectedVersion === null ? {} : { ':v': N(expectedVersion) }),
            },
          },
        },
        ...(options.checkSignals === false ? [] : [this.outboxPut(null, [level.productId], audit.at)]),
      ],
      { retryConflicts: true },
    );
  }

  /**
   * Initial data load: the levels that do not exist yet, written as `writeLevel(level, null, audit, { checkSignals: false })`
   * writes them, in batches (100 reads, 25 writes a request) instead of one transaction each. Nothing else writes while
   * a seed runs, so the existence check need not be a condition. Returns the product ids it wrote.
   */
  async seedLevels(
    levels: Array<Pick<StockLevel, 'productId' | 'available' | 'lowStockThreshold'>>,
    audit: { reason: string; by: string; at: string },
  ): Promise<Set<string>> {
    const existing = new Set<string>();
    for (let i = 0; i < levels.length; i += 100) {
      let keys: Item[] = levels.slice(i, i + 100).map((l) => stockKey(l.productId));
      while (keys.length) {
        const out = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'productId' } },
          }),
        );
        for (const item of out.Responses?.[this.table] ?? []) existing.add(item.productId?.S ?? '');
        keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    const missing = levels.filter((l) => !existing.has(l.productId));
    for (let i = 0; i < missing.length; i += 25) {
      let requests = missing.slice(i, i + 25).map((l) => ({
        PutRequest: {
          Item: {
            ...stockKey(l.productId),
            productId: S(l.productId),
            available: N(l.available),
            lowStockThreshold: N(l.lowStockThreshold),
            updatedAt: S(audit.at),
            lastChange: { M: { reason: S(audit.reason), by: S(audit.by), at: S(audit.at) } },
            version: N(1),
            reserved: N(0),
            lowAlerted: B(false),
            depletedAlerted: B(false),
          },
        },
      }));
      while (requests.length) {
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
        requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      }
    }
    return new Set(missing.map((l) => l.productId));
  }

  async writeAlerts(
    productId: string,
    version: number,
    flags: { lowAlerted: boolean; depletedAlerted: boolean },
    events: EventEnvelope[],
  ): Promise<boolean> {
    return this.transactUnlessFirstFails(
      [
        {
          Update: {
            TableName: this.table,
            Key: stockKey(productId),
            UpdateExpression: 'SET lowAlerted = :low, depletedAlerted = :depleted',
            // The flags must still differ from the target: of several checkers racing on one crossing, one raises it.
            ConditionExpression:
              'version = :v AND (attribute_not_exists(lowAlerted) OR attribute_not_exists(depletedAlerted) OR lowAlerted <> :low OR depletedAlerted <> :depleted)',
            ExpressionAttributeValues: {
              ':low': B(flags.lowAlerted),
              ':depleted': B(flags.depletedAlerted),
              ':v': N(version),
            },
          },
        },
        ...events.map((e) => this.outboxPut(e, [], e.occurredAt)),
      ],
      { retryConflicts: true },
    );
  }

  private lineUpdate(
    productId: string,
    expression: string,
    condition: string | undefined,
    quantity: number,
    at: string,
  ): TransactWriteItem {
    return {
      Update: {
        TableName: this.table,
        Key: stockKey(productId),
        UpdateExpression: `${expression}, version = version + :one, updatedAt = :at`,
        ConditionExpression: condition,
        ExpressionAttributeValues: { ':q': N(quantity), ':one': N(1), ':at': S(at) },
      },
    };
  }

  async reserve(reservation: Reservation, event: EventEnvelope): Promise<ReserveOutcome> {
    try {
      await withConflictRetry(() =>
        this.client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    ...reservationKey(reservation.orderId),
                    orderId: S(reservation.orderId),
                    status: S('held'),
                    lines: S(JSON.stringify(reservation.lines)),
                    createdAt: S(reservation.createdAt),
                    expiresAt: S(reservation.expiresAt),
                    gsi1pk: S('HOLD'),
                    gsi1sk: S(`${reservation.expiresAt}#${reservation.orderId}`),
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              ...reservation.lines.map((l) =>
                this.lineUpdate(
                  l.productId,
                  'SET available = available - :q, reserved = reserved + :q',
                  'attribute_exists(pk) AND available >= :q',
                  l.quantity,
                  reservation.createdAt,
                ),
              ),
              this.outboxPut(
                event,
                reservation.lines.map((l) => l.productId),
                reservation.createdAt,
              ),
            ],
          }),
        ),
      );
      return { ok: true };
    } catch (error) {
      const failed = failedIndexes(error);
      if (!failed) throw error;
      if (failed.includes(0)) return { ok: false, reason: 'exists' };
      return { ok: false, reason: 'insufficient', productIds: failed.map((i) => reservation.lines[i - 1]!.productId) };
    }
  }

  async reservation(orderId: string): Promise<Reservation | null> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: reservationKey(orderId), ConsistentRead: true }),
    );
    return out.Item ? toReservation(out.Item) : null;
  }

  private async closing(
    reservation: Reservation,
    status: 'released' | 'committed',
    condition: string,
    values: Item,
    lineExpression: string,
    event: EventEnvelope | null,
    purgeAt: string,
  ): Promise<boolean> {
    const at = event?.occurredAt ?? new Date().toISOString();
    return this.transactUnlessFirstFails(
      [
        {
          Update: {
            TableName: this.table,
            Key: reservationKey(reservation.orderId),
            UpdateExpression: 'SET #status = :status, purgeAt = :purge, closedAt = :at REMOVE gsi1pk, gsi1sk',
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ...values,
              ':status': S(status),
              ':purge': N(epochSeconds(purgeAt)),
              ':at': S(at),
            },
          },
        },
        ...reservation.lines.map((l) => this.lineUpdate(l.productId, lineExpression, undefined, l.quantity, at)),
        this.outboxPut(
          event,
          reservation.lines.map((l) => l.productId),
          at,
        ),
      ],
      { retryConflicts: true },
    );
  }

  release(reservation: Reservation, event: EventEnvelope, purgeAt: string): Promise<boolean> {
    // A committed order's units already left `reserved`; releasing it puts them back on the shelf.
    const lineExpression =
      reservation.status === 'held'
        ? 'SET available = available + :q, reserved = reserved - :q'
        : 'SET available = available + :q';
    return this.closing(
      reservation,
      'released',
      '#status = :was',
      { ':was': S(reservation.status) },
      lineExpression,
      event,
      purgeAt,
    );
  }

  releaseExpired(reservation: Reservation, event: EventEnvelope, now: string, purgeAt: string): Promise<boolean> {
    // The condition, not the caller's read, decides: the holds index is eventually consistent and a commit may have just landed.
    return this.closing(
      reservation,
      'released',
      '#status = :held AND expiresAt <= :now',
      { ':held': S('held'), ':now': S(now) },
      'SET available = available + :q, reserved = reserved - :q',
      event,
      purgeAt,
    );
  }

  async closeUnreserved(orderId: string, now: string, purgeAt: string): Promise<boolean> {
    return this.transactUnlessFirstFails(
      [
        {
          Put: {
            TableName: this.table,
            Item: {
              ...reservationKey(orderId),
              orderId: S(orderId),
              status: S('released'),
              lines: S('[]'),
              createdAt: S(now),
              expiresAt: S(now),
              closedAt: S(now),
              purgeAt: N(epochSeconds(purgeAt)),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      { retryConflicts: false },
    );
  }

  commit(reservation: Reservation, now: string, purgeAt: string): Promise<boolean> {
    return this.closing(
      reservation,
      'committed',
      '#status = :held AND expiresAt > :now',
      { ':held': S('held'), ':now': S(now) },
      'SET reserved = reserved - :q',
      null,
      purgeAt,
    );
  }

  async expiredHolds(now: string, limit: number): Promise<Reservation[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: HOLDS_INDEX,
        KeyConditionExpression: 'gsi1pk = :hold AND gsi1sk < :now',
        ExpressionAttributeValues: { ':hold': S('HOLD'), ':now': S(now) },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(toReservation).filter((r) => r.status === 'held');
  }

  /** Records are leased before they are returned, so concurrent relays (every write's fast path) rarely publish one twice. */
  async pending(limit: number): Promise<PendingEvents[]> {
    const shards = await Promise.all(
      Array.from({ length: OUTBOX_SHARDS }, (_, shard) =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': S(`OUTBOX#${shard}`) },
            ConsistentRead: true,
            Limit: limit,
          }),
        ),
      ),
    );
    const now = Date.now();
    const candidates = shards
      .flatMap((s) => s.Items ?? [])
      .filter((item) => Number(item.leasedUntil?.N ?? 0) < now)
      .sort((a, b) => (a.sk!.S! < b.sk!.S! ? -1 : 1))
      .slice(0, limit);
    const leased = await Promise.all(
      candidates.map(async (item) => {
        try {
          await this.client.send(
            new UpdateItemCommand({
              TableName: this.table,
              Key: { pk: item.pk!, sk: item.sk! },
              UpdateExpression: 'SET leasedUntil = :until',
              ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(leasedUntil) OR leasedUntil < :now)',
              ExpressionAttributeValues: { ':until': N(now + OUTBOX_LEASE_MS), ':now': N(now) },
            }),
          );
          return item;
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return null;
          throw error;
        }
      }),
    );
    return leased
      .filter((item): item is Item => item !== null)
      .map((item) => ({
        key: `${item.pk!.S}|${item.sk!.S}`,
        events: item.envelope?.S ? [JSON.parse(item.envelope.S) as EventEnvelope] : [],
        productIds: JSON.parse(item.productIds?.S ?? '[]') as string[],
      }));
  }

  async acknowledge(key: string): Promise<void> {
    const [pk, sk] = key.split('|') as [string, string];
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: S(pk), sk: S(sk) } }));
  }
}
