import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ordersApp } from '../../functions/orders/composition.ts';
import { reconcileOrders } from '../../functions/orders/domain/reconcile.ts';
import { generateProduct } from '../../functions/products/store/generate.ts';
import { resetConfig } from '../../shared/config.ts';
import { closePools } from '../../shared/db/postgres.ts';
import { adminToken, api, eventsOnBus, registerCustomer, type SignedIn } from '../support/api.ts';
import { apiClient } from '../support/client.ts';
import { orderableProduct, placeOrder, waitForOrder } from '../support/orders.ts';

const call = api();
let ada: SignedIn;
let bob: SignedIn;
let admin: string;
let product: { id: string; price: { amount: number; currency: string } };

afterAll(async () => {
  await closePools();
});

/** Waits until a stopped execution is no longer RUNNING (the runner saves it ABORTED once its current task returns). */
async function waitForExecutionEnd(sfn: SFNClient, executionArn: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [ada, bob, admin] = await Promise.all([
    registerCustomer(call, { name: 'Ada' }),
    registerCustomer(call, { name: 'Bob' }),
    adminToken(call),
  ]);
  product = await orderableProduct(call, admin, { amount: 1299, stock: 50 });
});

describe('POST /orders', () => {
  it('answers 202 with a Location; prices and names come from the catalog, not the request', async () => {
    const res = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 2 }]);
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/orders/${res.body.id}`);
    expect(res.body).toMatchObject({
      userId: ada.user.id,
      total: { amount: 2598, currency: 'USD' },
      lines: [{ productId: product.id, quantity: 2, unitPrice: { amount: 1299 }, lineTotal: { amount: 2598 } }],
      history: [{ status: 'PENDING', reason: 'ORDER_PLACED', by: 'customer' }],
    });
    // The Location is /orders/{id} (checked above): read it there.
    const asAda = apiClient({ token: ada.accessToken });
    const fetched = await asAda.GET('/orders/{id}', { params: { path: { id: res.body.id } } });
    expect(fetched.response.status).toBe(200);
    expect(fetched.data?.id).toBe(res.body.id);
    const created = await eventsOnBus(call, 'order.created', (d) => d.orderId === res.body.id);
    expect(created[0]?.detail.data).toMatchObject({ userId: ada.user.id, total: { amount: 2598, currency: 'USD' } });
    // A price field in the request is refused, never used.
    const pricedBody = {
      items: [{ productId: product.id, quantity: 1, unitPrice: { amount: 1, currency: 'USD' } }],
      paymentMethod: 'pm_card_visa',
    };
    const priced = await asAda.POST('/orders', {
      params: { header: { 'idempotency-key': 'e2e-priced-0001' } },
      body: pricedBody,
    });
    expect(priced.response.status).toBe(400);
  });

  it('prices seeded demo products too (the read model is backfilled)', async () => {
    const seeded = generateProduct('demo', 7).product;
    const res = await placeOrder(call, ada.accessToken, [{ productId: seeded.id, quantity: 1 }]);
    expect(res.status).toBe(202);
    expect(res.body.total).toEqual(seeded.price);
    expect(res.body.lines[0]?.name).toBe(seeded.name);
  });

  it('requires an Idempotency-Key and a signed-in user', async () => {
    const body = { items: [{ productId: product.id, quantity: 1 }], paymentMethod: 'pm_card_visa' };
    // The spec requires the header; leaving it off is the point.
    const noKey = {} as { header: { 'idempotency-key': string } };
    expect((await apiClient({ token: ada.accessToken }).POST('/orders', { params: noKey, body })).response.status).toBe(400);
    const anonymous = await apiClient().POST('/orders', { params: { header: { 'idempotency-key': 'e2e-anon-0001' } }, body });
    expect(anonymous.response.status).toBe(401);
  });

  it('the same key and body give the same order; another body with the key is 422', async () => {
    const key = `e2e-same-${Date.now()}`;
    const first = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 1 }], { idempotencyKey: key });
    const again = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 1 }], { idempotencyKey: key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 3 }], { idempotencyKey: key });
    expect(other.status).toBe(422);
    expect((other.body as unknown as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('concurrent requests with one key make one order; the others are the same order or 409', async () => {
    const key = `e2e-race-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        placeOrder(call, bob.accessToken, [{ productId: product.id, quantity: 1 }], { idempotencyKey: key }),
      ),
    );
    const ids = new Set(results.filter((r) => r.status === 202).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.status === 202 || r.status === 409)).toBe(true);
  });

  it('an unknown product or a quantity out of range is 422 naming the line', async () => {
    const unknown = await placeOrder(call, ada.accessToken, [
      { productId: product.id, quantity: 1 },
      { productId: 'prd_0000000000000000000000000z', quantity: 1 },
    ]);
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ error: { code: 'UNKNOWN_PRODUCT', details: { line: 1 } } });
    const tooMany = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 11 }]);
    expect(tooMany.status).toBe(422);
    expect(tooMany.body).toMatchObject({ error: { code: 'QUANTITY_OUT_OF_RANGE', details: { line: 0, productId: product.id } } });
  });
});

describe('reading orders', () => {
  it('GET /orders/{id}: the owner and admins; anyone else 404', async () => {
    const { body: order } = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 1 }]);
    const byId = { params: { path: { id: order.id } } };
    const read = await apiClient({ token: admin }).GET('/orders/{id}', byId);
    expect(read.response.status).toBe(200);
    // The payment-method token is never echoed back, in the placement answer or a read.
    expect(JSON.stringify([order, read.data])).not.toContain('pm_card');
    expect((await apiClient({ token: bob.accessToken }).GET('/orders/{id}', byId)).response.status).toBe(404);
    const missing = { params: { path: { id: 'ord_0000000000000000000000000z' } } };
    expect((await apiClient({ token: ada.accessToken }).GET('/orders/{id}', missing)).response.status).toBe(404);
  });

  it('GET /orders/user/{userId}: newest first, cursor-paginated, self or admin', async () => {
    const carol = await registerCustomer(call, { name: 'Carol' });
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++)
      ids.push((await placeOrder(call, carol.accessToken, [{ productId: product.id, quantity: i }])).body.id);
    const path = { userId: carol.user.id };
    const first = await apiClient({ token: carol.accessToken }).GET('/orders/user/{userId}', {
      params: { path, query: { limit: '2' } },
    });
    expect(first.response.status).toBe(200);
    const second = await apiClient({ token: admin }).GET('/orders/user/{userId}', {
      params: { path, query: { limit: '2', cursor: `${first.data?.nextCursor}` } },
    });
    expect([...(first.data?.items ?? []), ...(second.data?.items ?? [])].map((o) => o.id)).toEqual([...ids].reverse());
    expect(second.data?.nextCursor).toBeNull();
    expect((await apiClient({ token: bob.accessToken }).GET('/orders/user/{userId}', { params: { path } })).response.status).toBe(
      403,
    );
  });
});

describe('POST /orders/{id}/cancel', () => {
  it('ends the order CANCELLED with the customer reason, whatever step the saga was at; others get 404', async () => {
    const { body: order } = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 1 }]);
    const byId = { params: { path: { id: order.id } } };
    expect((await apiClient({ token: bob.accessToken }).POST('/orders/{id}/cancel', byId)).response.status).toBe(404);
    const res = await apiClient({ token: ada.accessToken }).POST('/orders/{id}/cancel', byId);
    expect(res.response.status).toBe(202);
    expect(res.data?.status === 'CANCELLED' || res.data?.cancelRequestedAt !== null).toBe(true);
    const final = await waitForOrder(call, ada.accessToken, order.id, ['CANCELLED', 'NEEDS_ATTENTION']);
    expect(final).toMatchObject({ status: 'CANCELLED', cancelReason: 'CUSTOMER_CANCELLED' });
    expect(final.history.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'CUSTOMER_CANCELLED' });
    const cancelled = await eventsOnBus(call, 'order.cancelled', (d) => d.orderId === order.id);
    expect(cancelled).toHaveLength(1);
  });
});

describe('cancel after confirmation', () => {
  it('refunds and restocks through the compensation execution, then the order is CANCELLED', async () => {
    const item = await orderableProduct(call, admin, { amount: 2500, stock: 5 });
    const { body: placed } = await placeOrder(call, ada.accessToken, [{ productId: item.id, quantity: 2 }]);
    const confirmed = await waitForOrder(call, ada.accessToken, placed.id);
    expect(confirmed.status).toBe('CONFIRMED');
    const inventory = { params: { path: { id: item.id } } };
    expect((await apiClient().GET('/products/{id}/inventory', inventory)).data).toMatchObject({ available: 3, reserved: 0 });

    const cancel = () =>
      apiClient({ token: ada.accessToken }).POST('/orders/{id}/cancel', { params: { path: { id: placed.id } } });
    const res = await cancel();
    expect(res.response.status).toBe(202);
    expect(res.data).toMatchObject({ status: 'CONFIRMED' });
    expect(res.data?.cancelRequestedAt).not.toBeNull();
    const final = await waitForOrder(call, ada.accessToken, placed.id, ['CANCELLED', 'NEEDS_ATTENTION']);
    expect(final).toMatchObject({ status: 'CANCELLED', cancelReason: 'CUSTOMER_CANCELLED' });
    expect(final.history.map((h) => h.status)).toEqual([
      'PENDING',
      'INVENTORY_RESERVED',
      'PAYMENT_COMPLETED',
      'CONFIRMED',
      'CONFIRMED',
      'CANCELLED',
    ]);
    expect((await apiClient().GET('/products/{id}/inventory', inventory)).data).toMatchObject({ available: 5, reserved: 0 });
    const [cancelled] = await eventsOnBus(call, 'order.cancelled', (d) => d.orderId === placed.id);
    expect(cancelled?.detail.data).toMatchObject({ reason: 'CUSTOMER_CANCELLED', refunded: true });
    const refunded = await eventsOnBus(call, 'payment.refunded', (d) => d.orderId === placed.id);
    expect(refunded[0]?.detail.data).toMatchObject({ refundedTotal: { amount: 5000 } });
    // A second cancel is a repeat: same answer, no second compensation.
    expect((await cancel()).data?.status).toBe('CANCELLED');
  });
});

describe('the reconciler', () => {
  it('finishes an order whose execution was stopped mid-saga: compensated, CANCELLED, stock back, nothing kept', async () => {
    const env = inject('runtimeEnv');
    Object.assign(process.env, env);
    resetConfig();
    const sfn = new SFNClient({
      endpoint: env.SFN_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const arn = env.ORDER_SAGA_ARN as string;
    const item = await orderableProduct(call, admin, { amount: 700, stock: 4 });
    let sold = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      const { body: placed } = await placeOrder(call, ada.accessToken, [{ productId: item.id, quantity: 1 }]);
      const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${placed.id}`;
      const stopped = await sfn
        .send(new StopExecutionCommand({ executionArn, error: 'E2E', cause: 'stopped by the reconciler test' }))
        .then(() => true)
        .catch(() => false);
      // The reconciler's schedule runs once a minute: this runs its handler's work now, on the runtime's database and API.
      await waitForExecutionEnd(sfn, executionArn);
      await reconcileOrders(await ordersApp(), { graceSeconds: 0 });
      const final = await waitForOrder(call, ada.accessToken, placed.id);
      if (final.status === 'CONFIRMED') sold++;
      // The saga was faster than the stop: try again.
      if (!stopped || final.status === 'CONFIRMED') continue;
      expect(final).toMatchObject({ status: 'CANCELLED', cancelReason: 'SAGA_FAILED' });
      expect(final.history.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'SAGA_FAILED', by: 'saga' });
      const level = await apiClient().GET('/products/{id}/inventory', { params: { path: { id: item.id } } });
      expect(level.data).toMatchObject({ available: 4 - sold, reserved: 0 });
      const payments = await eventsOnBus(call, 'payment.completed', (d) => d.orderId === placed.id, 0);
      const refunds = await eventsOnBus(call, 'payment.refunded', (d) => d.orderId === placed.id, 0);
      expect(refunds.length).toBe(payments.length);
      return;
    }
    throw new Error('every saga finished before it could be stopped');
  });
});
