import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Pool, poolFor } from '../../shared/db/postgres.ts';
import { BadRequest, Conflict, Forbidden, NotFound } from '../../shared/errors.ts';
import { createEvent, type EventEnvelope } from '../../shared/events/envelope.ts';
import type { Principal } from '../../shared/http/handler.ts';
import { newId } from '../../shared/ids.ts';
import { RecordingPublisher } from '../../test/support/events.ts';
import { buildOrdersApp, type OrdersApp } from './composition.ts';
import { OrderCancelled } from './domain/errors.ts';
import { purgeExpired } from './domain/housekeeping.ts';
import type { Order } from './domain/order.ts';
import { applyCommand, cancelOrder, compensationName, getOrder, listOrders, placeOrder } from './domain/orders.ts';
import type { PlaceOrderRequest } from './domain/placement.ts';
import type { ExecutionStatus, SagaInput, SagaStarter } from './domain/ports.ts';
import { reconcileOrders } from './domain/reconcile.ts';
import { handler as onProductEvent } from './handlers/on-product-event.ts';

/** Step Functions' naming rule in memory: one execution per name, a second start of a name is refused. */
class InMemorySaga implements SagaStarter {
  executions = new Map<string, { input: SagaInput; status: ExecutionStatus; starts: number }>();
  failNextStarts = 0;
  async start(name: string, input: SagaInput) {
    if (this.failNextStarts > 0) {
      this.failNextStarts--;
      throw new Error('Step Functions unavailable');
    }
    const existing = this.executions.get(name);
    if (existing) {
      existing.starts++;
      return 'already-started' as const;
    }
    this.executions.set(name, { input, status: 'RUNNING', starts: 1 });
    return 'started' as const;
  }
  async describe(name: string) {
    return this.executions.get(name)?.status ?? 'NOT_FOUND';
  }
}

let pool: Pool;
let publisher: RecordingPublisher;
let saga: InMemorySaga;
let app: OrdersApp;
let now = new Date('2026-12-01T12:00:00.000Z');
const clock = { now: () => now };

const customer = (): Principal => ({ userId: newId('usr'), role: 'customer' });
const admin: Principal = { userId: newId('usr'), role: 'admin' };
const key = () => `key-${newId('k')}`;

async function product(amount = 1299, currency = 'USD') {
  const productId = newId('prd');
  await app.prices.apply({
    kind: 'upsert',
    productId,
    name: `Thing ${productId.slice(-4)}`,
    price: { amount, currency },
    version: 1,
    eventId: newId('evt'),
  });
  return productId;
}
const request = (productId: string, quantity = 1, paymentMethod = 'pm_card_visa'): PlaceOrderRequest => ({
  items: [{ productId, quantity }],
  paymentMethod,
});
const outboxOf = async (orderId: string) =>
  (
    await pool.query<{ event_type: string }>(
      "SELECT event_type FROM outbox WHERE envelope->'data'->>'orderId' = $1 ORDER BY seq",
      [orderId],
    )
  ).rows.map((r) => r.event_type);

beforeAll(async () => {
  pool = await poolFor('orders');
  publisher = new RecordingPublisher();
  saga = new InMemorySaga();
  app = buildOrdersApp(pool, { publisher, saga, clock });
});

describe('placing an order', () => {
  it('writes the order, its first status, its listing row and order.created together, then starts the saga by order id', async () => {
    const user = customer();
    const a = await product(1299);
    const b = await product(500);
    const { order, replayed } = await placeOrder(
      app,
      user,
      key(),
      {
        items: [
          { productId: a, quantity: 2 },
          { productId: b, quantity: 1 },
        ],
        paymentMethod: 'pm_card_visa',
      },
      'corr-1',
    );
    expect(replayed).toBe(false);
    expect(order).toMatchObject({ status: 'PENDING', total: { amount: 3098, currency: 'USD' }, userId: user.userId });
    expect(order.history).toEqual([{ status: 'PENDING', reason: 'ORDER_PLACED', at: now.toISOString(), by: 'customer' }]);
    expect(await outboxOf(order.id)).toEqual(['order.created']);
    const created = publisher.published.find(
      (e) => e.type === 'order.created' && (e.data as { orderId: string }).orderId === order.id,
    );
    expect(created?.data).toMatchObject({
      total: { amount: 3098, currency: 'USD' },
      lines: [{ productId: a, quantity: 2, unitPrice: { amount: 1299 } }, { productId: b }],
    });
    expect(saga.executions.get(order.id)?.input).toEqual({
      orderId: order.id,
      userId: user.userId,
      correlationId: 'corr-1',
      lines: [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ],
      total: { amount: 3098, currency: 'USD' },
      paymentMethod: 'pm_card_visa',
    });
    expect((await getOrder(app, user, order.id)).sagaStartedAt).not.toBeNull();
  });

  it('20 concurrent requests with one key make one order; each gets it or 409 in flight; a retry gets it', async () => {
    const user = customer();
    const k = key();
    const body = request(await product(), 2);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => placeOrder(app, user, k, body, 'c')));
    const ids = new Set(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.order.id] : [])));
    expect(ids.size).toBe(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(Conflict);
    const count = await pool.query('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [user.userId]);
    expect(count.rows[0].n).toBe(1);
    const retry = await placeOrder(app, user, k, body, 'c');
    expect(retry).toMatchObject({ replayed: true, order: { id: [...ids][0] } });
    expect(saga.executions.get([...ids][0] as string)?.starts).toBe(1);
  });

  it('the same key with another body is 422; the key is per user', async () => {
    const user = customer();
    const k = key();
    const p = await product();
    await placeOrder(app, user, k, request(p, 1), 'c');
    await expect(placeOrder(app, user, k, request(p, 2), 'c')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await placeOrder(app, customer(), k, request(p, 2), 'c')).replayed).toBe(false);
  });

  it('refuses unknown and withdrawn products by line, and writes nothing', async () => {
    const user = customer();
    const p = await product();
    const gone = await product();
    await app.prices.apply({ kind: 'delete', productId: gone, eventId: 'e' });
    const unknown = newId('prd');
    const k = key();
    await expect(
      placeOrder(
        app,
        user,
        k,
        {
          items: [
            { productId: p, quantity: 1 },
            { productId: unknown, quantity: 1 },
          ],
          paymentMethod: 'pm_card_visa',
        },
        'c',
      ),
    ).rejects.toMatchObject({ code: 'UNKNOWN_PRODUCT', details: { line: 1, productId: unknown } });
    await expect(placeOrder(app, user, key(), request(gone), 'c')).rejects.toMatchObject({ code: 'PRODUCT_WITHDRAWN' });
    expect((await pool.query('SELECT 1 FROM orders WHERE user_id = $1', [user.userId])).rowCount).toBe(0);
    // The refused key is not burnt: once the line is right, the same key places the order.
    expect((await placeOrder(app, user, k, request(p), 'c')).replayed).toBe(false);
  });

  it('an order whose events cannot be written is not written either (one transaction)', async () => {
    const user = customer();
    const p = await product();
    const { order } = await placeOrder(app, user, key(), request(p), 'c');
    const copy: Order = { ...order, id: newId('ord') };
    const broken = {
      id: newId('evt'),
      type: 'order.created',
      source: 'shop.orders',
      occurredAt: now.toISOString(),
      correlationId: 'c',
      version: 1,
      data: { orderId: copy.id },
    };
    await expect(app.orders.create(copy, { userId: user.userId, key: key(), fingerprint: 'f' }, [broken])).rejects.toThrow(
      /Invalid order.created/,
    );
    expect(await app.orders.find(copy.id)).toBeUndefined();
    expect((await pool.query('SELECT 1 FROM order_listing WHERE order_id = $1', [copy.id])).rowCount).toBe(0);
  });
});

describe('starting the saga reliably', () => {
  it('a failed start leaves the order owing a start, which the relay makes; a crash after the start gives one execution', async () => {
    const user = customer();
    saga.failNextStarts = 1;
    publisher.failing = true;
    const { order } = await placeOrder(app, user, key(), request(await product()), 'c');
    expect(saga.executions.has(order.id)).toBe(false);
    expect((await app.orders.find(order.id))?.sagaStartedAt).toBeNull();

    // The start succeeds but the process dies before recording it: the next relay starts again, Step Functions says it exists.
    await expect(
      app.orders.startPendingSagas(
        10,
        async (o) => {
          await saga.start(o.id, { orderId: o.id } as SagaInput);
          throw new Error('crash');
        },
        order.id,
      ),
    ).resolves.toEqual({ started: 0, failed: 1 });
    publisher.failing = false;
    const report = await app.relay();
    expect(report.sagasStarted).toBeGreaterThanOrEqual(1);
    expect(saga.executions.get(order.id)?.starts).toBe(2);
    expect((await app.orders.find(order.id))?.sagaStartedAt).not.toBeNull();
    expect(publisher.published.filter((e) => (e.data as { orderId?: string }).orderId === order.id).map((e) => e.type)).toEqual([
      'order.created',
    ]);
  });

  it('a cancel before the saga started ends the order and the relay never starts it', async () => {
    const user = customer();
    saga.failNextStarts = 1;
    const { order } = await placeOrder(app, user, key(), request(await product()), 'c');
    const cancelled = await cancelOrder(app, user, order.id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancelReason: 'CUSTOMER_CANCELLED' });
    await app.relay();
    expect(saga.executions.has(order.id)).toBe(false);
    expect(await outboxOf(order.id)).toEqual(['order.created', 'order.cancelled']);
  });
});

describe('order.cancelled says whether money went back', () => {
  it('refunded when the saga says its refund gave money back, although the payment was never recorded on the order', async () => {
    const user = customer();
    const { order } = await placeOrder(app, user, key(), request(await product()), 'c');
    await app.relay();
    await applyCommand(app, order.id, { type: 'RecordInventoryReserved' }, 'saga');
    await cancelOrder(app, user, order.id);
    // The charge was captured, RecordPaymentCompleted refused (cancel first), RefundPayment gave it back.
    await applyCommand(app, order.id, { type: 'Cancel', reason: 'CUSTOMER_CANCELLED', refunded: true }, 'saga');
    const { rows } = await pool.query<{ envelope: { data: { refunded?: boolean } } }>(
      "SELECT envelope FROM outbox WHERE event_type = 'order.cancelled' AND envelope->'data'->>'orderId' = $1",
      [order.id],
    );
    expect(rows.map((r) => r.envelope.data.refunded)).toEqual([true]);
  });
});

async function paidOrder(user = customer()) {
  const { order } = await placeOrder(app, user, key(), request(await product()), 'c');
  await applyCommand(app, order.id, { type: 'RecordInventoryReserved' }, 'saga');
  await applyCommand(app, order.id, { type: 'RecordPaymentCompleted', paymentId: 'pay_1' }, 'saga');
  return { order, user };
}

describe('transitions under concurrency', () => {
  it('ten concurrent ConfirmOrder tasks confirm once and publish order.confirmed once', async () => {
    const { order } = await paidOrder();
    const results = await Promise.all(Array.from({ length: 10 }, () => applyCommand(app, order.id, { type: 'Confirm' }, 'saga')));
    expect(results.every((o) => o.status === 'CONFIRMED')).toBe(true);
    expect(await outboxOf(order.id)).toEqual(['order.created', 'order.confirmed']);
    const history = (await app.orders.find(order.id))?.history.map((h) => h.status);
    expect(history).toEqual(['PENDING', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED', 'CONFIRMED']);
  });

  it('a cancel racing ConfirmOrder: either confirm loses with OrderCancelled, or the cancel starts the compensation', async () => {
    for (let round = 0; round < 8; round++) {
      const { order, user } = await paidOrder();
      const [confirm, cancel] = await Promise.allSettled([
        applyCommand(app, order.id, { type: 'Confirm' }, 'saga'),
        cancelOrder(app, user, order.id),
      ]);
      expect(cancel.status).toBe('fulfilled');
      const events = await outboxOf(order.id);
      if (confirm.status === 'rejected') {
        expect(confirm.reason).toBeInstanceOf(OrderCancelled);
        expect(events).not.toContain('order.confirmed');
        expect(saga.executions.has(compensationName(order.id))).toBe(false);
      } else {
        expect(events).toContain('order.confirmed');
        expect(saga.executions.get(compensationName(order.id))?.input.compensate).toEqual({ reason: 'CUSTOMER_CANCELLED' });
      }
      // Whichever won, the compensation's CancelOrder ends it CANCELLED with the customer's reason, once.
      await Promise.all(
        Array.from({ length: 5 }, () => applyCommand(app, order.id, { type: 'Cancel', reason: 'CONFIRMATION_FAILED' }, 'saga')),
      );
      const final = await app.orders.find(order.id);
      expect(final).toMatchObject({ status: 'CANCELLED', cancelReason: 'CUSTOMER_CANCELLED' });
      expect((await outboxOf(order.id)).filter((t) => t === 'order.cancelled')).toHaveLength(1);
    }
  });

  it('refuses the same way on every path: an illegal step is IllegalTransition and changes nothing', async () => {
    const user = customer();
    const { order } = await placeOrder(app, user, key(), request(await product()), 'c');
    await expect(applyCommand(app, order.id, { type: 'Confirm' }, 'saga')).rejects.toMatchObject({ name: 'IllegalTransition' });
    await applyCommand(app, order.id, { type: 'MarkNeedsAttention', error: 'refund failed' }, 'saga');
    await expect(cancelOrder(app, user, order.id)).rejects.toMatchObject({ name: 'IllegalTransition', code: 'CONFLICT' });
    const stored = await app.orders.find(order.id);
    expect(stored?.status).toBe('NEEDS_ATTENTION');
    expect(stored?.history.at(-1)).toMatchObject({ status: 'NEEDS_ATTENTION', reason: 'refund failed', by: 'saga' });
  });
});

describe('reading orders', () => {
  it('the owner and admins see an order; anyone else gets 404', async () => {
    const { order, user } = await paidOrder();
    expect((await getOrder(app, user, order.id)).history).toHaveLength(3);
    expect((await getOrder(app, admin, order.id)).id).toBe(order.id);
    await expect(getOrder(app, customer(), order.id)).rejects.toBeInstanceOf(NotFound);
    await expect(getOrder(app, user, newId('ord'))).rejects.toBeInstanceOf(NotFound);
  });

  it("lists a user's orders newest first, by cursor, with no overlap; others are refused", async () => {
    const user = customer();
    const p = await product(100);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      now = new Date(now.getTime() + 1000);
      ids.push((await placeOrder(app, user, key(), request(p, i + 1), 'c')).order.id);
    }
    const first = await listOrders(app, user, user.userId, { limit: 2 });
    const second = await listOrders(app, user, user.userId, { limit: 2, cursor: first.nextCursor ?? undefined });
    const third = await listOrders(app, admin, user.userId, { limit: 2, cursor: second.nextCursor ?? undefined });
    expect([...first.items, ...second.items, ...third.items].map((o) => o.id)).toEqual([...ids].reverse());
    expect(third.nextCursor).toBeNull();
    expect(first.items[0]).toMatchObject({ status: 'PENDING', units: 5, lineCount: 1, total: { amount: 500 } });
    await expect(listOrders(app, customer(), user.userId, { limit: 2 })).rejects.toBeInstanceOf(Forbidden);
    await expect(listOrders(app, user, user.userId, { limit: 2, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(BadRequest);
  });
});

describe('the price read model', () => {
  it('keeps the newest version whatever order events arrive in, and a deletion is final', async () => {
    const id = newId('prd');
    const upsert = (version: number, amount: number) =>
      app.prices.apply({
        kind: 'upsert',
        productId: id,
        name: `v${version}`,
        price: { amount, currency: 'USD' },
        version,
        eventId: newId('evt'),
      });
    await upsert(3, 300);
    await upsert(1, 100);
    await upsert(3, 999);
    expect((await app.prices.lookup([id])).get(id)).toMatchObject({ name: 'v3', price: { amount: 300 }, deleted: false });
    await app.prices.apply({ kind: 'delete', productId: id, eventId: 'e' });
    await upsert(4, 400);
    expect((await app.prices.lookup([id])).get(id)?.deleted).toBe(true);
    const early = newId('prd');
    await app.prices.apply({ kind: 'delete', productId: early, eventId: 'e' });
    await app.prices.apply({
      kind: 'upsert',
      productId: early,
      name: 'late',
      price: { amount: 1, currency: 'USD' },
      version: 1,
      eventId: 'e2',
    });
    expect((await app.prices.lookup([early])).get(early)?.deleted).toBe(true);
  });
});

describe('the reconciler', () => {
  it('restarts a gone execution, compensates a failed one, and hands a failed compensation to a person', async () => {
    const gone = await paidOrder();
    const failed = await paidOrder();
    const stuck = await paidOrder();
    saga.executions.delete(gone.order.id);
    saga.executions.get(failed.order.id)!.status = 'FAILED';
    saga.executions.get(stuck.order.id)!.status = 'FAILED';
    saga.executions.set(compensationName(stuck.order.id), { input: {} as SagaInput, status: 'FAILED', starts: 1 });
    // Within the grace period nothing is touched.
    expect((await reconcileOrders(app, { graceSeconds: 60, limit: 1000 })).restarted).toBe(0);
    now = new Date(now.getTime() + 120_000);
    const report = await reconcileOrders(app, { graceSeconds: 60, limit: 1000 });
    expect(report.restarted).toBeGreaterThanOrEqual(1);
    expect(saga.executions.get(gone.order.id)?.status).toBe('RUNNING');
    expect(saga.executions.get(compensationName(failed.order.id))?.input).toMatchObject({
      orderId: failed.order.id,
      compensate: { reason: 'SAGA_FAILED' },
    });
    expect(await app.orders.find(stuck.order.id)).toMatchObject({ status: 'NEEDS_ATTENTION' });
    expect((await app.orders.find(stuck.order.id))?.history.at(-1)?.by).toBe('reconciler');
    // Running executions are left alone on the next pass; the order is not restarted twice.
    await reconcileOrders(app, { graceSeconds: 60, limit: 1000 });
    expect(saga.executions.get(gone.order.id)?.starts).toBe(1);
  });
});

describe('the product-prices subscription', () => {
  const sqsEvent = (bodies: unknown[]) =>
    ({
      Records: bodies.map((body, i) => ({ messageId: `m${i}`, body: typeof body === 'string' ? body : JSON.stringify(body) })),
    }) as unknown as SQSEvent;
  const busMessage = (event: EventEnvelope) => ({ 'detail-type': event.type, source: event.source, detail: event });

  it('applies valid product events and reports only the bad messages as failures', async () => {
    const productId = newId('prd');
    const created = createEvent(
      'products',
      'product.created',
      { productId, name: 'Kettle', category: 'home', tags: [], price: { amount: 2999, currency: 'USD' } },
      'c',
    );
    const forged = { ...createEvent('products', 'product.created', { productId, name: 'Cheap' }, 'c') };
    const result = await onProductEvent(sqsEvent([busMessage(created), busMessage(forged as EventEnvelope), 'not json']));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m1', 'm2']);
    expect((await app.prices.lookup([productId])).get(productId)).toMatchObject({ name: 'Kettle', price: { amount: 2999 } });
  });
});

describe('housekeeping', () => {
  it('forgets Idempotency-Keys past their retention but keeps the orders', async () => {
    const user = customer();
    const k = key();
    const body = request(await product());
    const { order } = await placeOrder(app, user, k, body, 'c');
    await pool.query("UPDATE idempotency_keys SET created_at = now() - interval '8 days' WHERE order_id = $1", [order.id]);
    const purged = await purgeExpired(
      { orders: app.orders, clock: { now: () => new Date() } },
      { idempotencyKeyDays: 7, eventDays: 15 },
    );
    expect(purged.idempotencyKeys).toBeGreaterThanOrEqual(1);
    expect(await app.orders.find(order.id)).toBeDefined();
    expect((await placeOrder(app, user, k, body, 'c')).order.id).not.toBe(order.id);
  });
});

describe('the reconciler against a saga finishing meanwhile', () => {
  it('an order confirmed between the listing and DescribeExecution is left alone, not compensated', async () => {
    const { order } = await paidOrder();
    now = new Date(now.getTime() + 120_000);
    // The saga's ConfirmOrder lands while the reconciler asks Step Functions, which then says SUCCEEDED.
    const racing: SagaStarter = {
      start: (name, input) => saga.start(name, input),
      describe: async (name) => {
        if (name !== order.id) return saga.describe(name);
        await applyCommand(app, order.id, { type: 'Confirm' }, 'saga');
        return 'SUCCEEDED';
      },
    };
    const report = await reconcileOrders({ ...app, saga: racing }, { graceSeconds: 60, limit: 1000 });
    expect(report.compensated).toBe(0);
    expect(saga.executions.has(compensationName(order.id))).toBe(false);
    expect((await app.orders.find(order.id))?.status).toBe('CONFIRMED');
  });
});

describe('a cancel racing the saga start', () => {
  it('never leaves a CANCELLED order with a started saga, nor a started saga without the cancel on record', async () => {
    for (let round = 0; round < 10; round++) {
      const user = customer();
      saga.failNextStarts = 1; // the request's fast path fails, so the relay and the cancel race for the start
      const { order } = await placeOrder(app, user, key(), request(await product()), 'c');
      await Promise.all([app.relay(order.id), cancelOrder(app, user, order.id)]);
      const final = (await app.orders.find(order.id)) as Order;
      if (saga.executions.has(order.id)) {
        expect(final.status).not.toBe('CANCELLED');
        expect(final.cancelRequestedAt).not.toBeNull();
        expect(final.sagaStartedAt).not.toBeNull();
      } else {
        expect(final).toMatchObject({ status: 'CANCELLED', cancelReason: 'CUSTOMER_CANCELLED', sagaStartedAt: null });
        await app.relay(order.id);
        expect(saga.executions.has(order.id)).toBe(false);
      }
    }
  });
});
