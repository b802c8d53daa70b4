import { ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, api, registerCustomer, type SignedIn } from '../support/api.ts';
import { type OrderBody, orderableProduct, placeOrder, waitForOrder } from '../support/orders.ts';
import { reconcile } from '../support/reconcile.ts';
import { eventCounts, execution, finishedExecution, injectFault, processorBooks, statesEntered, tries } from '../support/saga.ts';

// The order saga end to end on the offline runtime: every test checks the order, both payment ledgers (ours and the
// processor's), the stock and the events together.
const call = api();
const env = inject('runtimeEnv');
const sfn = new SFNClient({
  endpoint: env.SFN_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
let admin: string;
let db: pg.Pool;
const placed: string[] = [];
let slow: Promise<{ ada: SignedIn; product: { id: string }; o: OrderBody }>;

beforeAll(async () => {
  admin = await adminToken(call);
  db = new pg.Pool({ connectionString: env.DATABASE_URL_PAYMENTS, max: 2 });
  // The slow-processor order takes ~85 s (four tries of 20 s); it runs while the other tests do, its test checks it last.
  slow = (async () => {
    const ada = await registerCustomer(call);
    const product = await orderableProduct(call, admin, { amount: 250, stock: 2 });
    // Each try answers after the state's 20 s TimeoutSeconds (and then fails), so Step Functions stops waiting for it.
    await injectFault(call, { state: 'ProcessPayment', userId: ada.user.id, delayMs: 20_500, error: 'transient', times: 10 });
    return { ada, product, o: await order(ada, product.id, 1) };
  })();
  slow.catch(() => {});
});

afterAll(async () => {
  // Our books and the processor's agree on every order this file placed.
  if (placed.length) expect(await reconcile(db, env.PAYMENT_PROCESSOR_URL!, placed)).toEqual([]);
  await db?.end();
});

const stock = async (productId: string) =>
  (await call<{ available: number; reserved: number }>('GET', `/products/${productId}/inventory`)).body;

async function order(
  customer: SignedIn,
  productId: string,
  quantity: number,
  options: { paymentMethod?: string; idempotencyKey?: string } = {},
): Promise<OrderBody> {
  const res = await placeOrder(call, customer.accessToken, [{ productId, quantity }], options);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  placed.push(res.body.id);
  return res.body;
}

const CONFIRMED_EVENTS = {
  'order.created': 1,
  'payment.completed': 1,
  'order.confirmed': 1,
  'order.cancelled': 0,
  'payment.refunded': 0,
};
const NONE = { 'order.created': 1, 'payment.completed': 0, 'order.confirmed': 0, 'order.cancelled': 1, 'payment.refunded': 0 };

describe('order saga: forward path and business refusals', () => {
  it('happy path: CONFIRMED, charged once, stock committed, created/completed/confirmed each published once', async () => {
    const ada = await registerCustomer(call);
    const product = await orderableProduct(call, admin, { amount: 1299, stock: 5 });
    const placedOrder = await order(ada, product.id, 2);
    const done = await waitForOrder(call, ada.accessToken, placedOrder.id);
    expect(done).toMatchObject({ status: 'CONFIRMED', total: { amount: 2598 } });
    const exec = await finishedExecution(call, placedOrder.id);
    expect(exec.execution.status).toBe('SUCCEEDED');
    expect(statesEntered(exec)).toEqual([
      'Route',
      'ReserveInventory',
      'RecordInventoryReserved',
      'ProcessPayment',
      'RecordPaymentCompleted',
      'CommitInventory',
      'ConfirmOrder',
      'Confirmed',
    ]);
    expect(await processorBooks(placedOrder.id)).toEqual({ charges: 1, captured: 2598, refunded: 0 });
    expect(await stock(product.id)).toMatchObject({ available: 3, reserved: 0 });
    expect(
      await eventCounts(call, placedOrder.id, {
        'order.created': 1,
        'payment.completed': 1,
        'order.confirmed': 1,
        'order.cancelled': 0,
        'payment.refunded': 0,
      }),
    ).toEqual({ 'order.created': 1, 'payment.completed': 1, 'order.confirmed': 1, 'order.cancelled': 0, 'payment.refunded': 0 });
  });

  it.each([
    ['pm_card_chargeDeclined', 'PAYMENT_DECLINED'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'INSUFFICIENT_FUNDS'],
  ])('%s: CANCELLED %s, tried once, nothing captured, stock as before', async (paymentMethod, reason) => {
    const ada = await registerCustomer(call);
    const product = await orderableProduct(call, admin, { amount: 1000, stock: 4 });
    const o = await order(ada, product.id, 3, { paymentMethod });
    expect(await waitForOrder(call, ada.accessToken, o.id)).toMatchObject({ status: 'CANCELLED', cancelReason: reason });
    const exec = await finishedExecution(call, o.id);
    expect(tries(exec, 'ProcessPayment')).toBe(1);
    expect(statesEntered(exec).slice(-3)).toEqual(['ReleaseInventory', 'CancelOrder', 'Cancelled']);
    expect(statesEntered(exec)).not.toContain('RefundPayment');
    expect((await processorBooks(o.id)).captured).toBe(0);
    expect(await stock(product.id)).toMatchObject({ available: 4, reserved: 0 });
    expect(await eventCounts(call, o.id, NONE)).toEqual(NONE);
  });

  it('no stock: CANCELLED INSUFFICIENT_STOCK at once, nothing charged, nothing held', async () => {
    const ada = await registerCustomer(call);
    const product = await orderableProduct(call, admin, { amount: 500, stock: 1 });
    const o = await order(ada, product.id, 2);
    expect(await waitForOrder(call, ada.accessToken, o.id)).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'INSUFFICIENT_STOCK',
    });
    const exec = await finishedExecution(call, o.id);
    expect(statesEntered(exec)).toEqual(['Route', 'ReserveInventory', 'NoStock', 'CancelOrder', 'Cancelled']);
    expect(await processorBooks(o.id)).toEqual({ charges: 0, captured: 0, refunded: 0 });
    expect((await call('GET', `/payments/order/${o.id}`, { token: ada.accessToken })).status).toBe(404);
    expect(await stock(product.id)).toMatchObject({ available: 1, reserved: 0 });
    expect(await eventCounts(call, o.id, NONE)).toEqual(NONE);
  });
});

describe('order saga: failures, retries and compensation', () => {
  it('a failure injected at ConfirmOrder: refunded, released, CANCELLED (CONFIRMATION_FAILED)', async () => {
    const ada = await registerCustomer(call);
    await injectFault(call, { state: 'ConfirmOrder', userId: ada.user.id, error: 'business' });
    const product = await orderableProduct(call, admin, { amount: 700, stock: 3 });
    const o = await order(ada, product.id, 3);
    expect(await waitForOrder(call, ada.accessToken, o.id)).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'CONFIRMATION_FAILED',
    });
    const exec = await finishedExecution(call, o.id);
    expect(statesEntered(exec).slice(-5)).toEqual([
      'ConfirmationFailed',
      'RefundPayment',
      'ReleaseInventory',
      'CancelOrder',
      'Cancelled',
    ]);
    expect(await processorBooks(o.id)).toEqual({ charges: 1, captured: 2100, refunded: 2100 });
    expect(await stock(product.id)).toMatchObject({ available: 3, reserved: 0 });
    const expected = { ...NONE, 'payment.completed': 1, 'payment.refunded': 1 };
    expect(await eventCounts(call, o.id, expected)).toEqual(expected);
  });

  it('a transient processor error: retried by the payments client and by the state machine, then CONFIRMED with one charge', async () => {
    const ada = await registerCustomer(call);
    // The processor's own transient card (the client retries with the same key) and two more unavailable answers
    // the state machine's Retry handles.
    await injectFault(call, { state: 'ProcessPayment', userId: ada.user.id, error: 'PaymentProcessorUnavailable', times: 2 });
    const product = await orderableProduct(call, admin, { amount: 900, stock: 2 });
    const o = await order(ada, product.id, 1, { paymentMethod: 'pm_card_transientErrorThenSucceeds' });
    expect((await waitForOrder(call, ada.accessToken, o.id)).status).toBe('CONFIRMED');
    const exec = await finishedExecution(call, o.id);
    expect(tries(exec, 'ProcessPayment')).toBe(3);
    expect(await processorBooks(o.id)).toEqual({ charges: 1, captured: 900, refunded: 0 });
    expect(await stock(product.id)).toMatchObject({ available: 1, reserved: 0 });
    expect(await eventCounts(call, o.id, CONFIRMED_EVENTS)).toEqual(CONFIRMED_EVENTS);
  });

  it('a compensation that keeps failing ends NEEDS_ATTENTION and the execution FAILED; nothing is silently dropped', async () => {
    const ada = await registerCustomer(call);
    await injectFault(call, { state: 'ConfirmOrder', userId: ada.user.id, error: 'business' });
    await injectFault(call, { state: 'ReleaseInventory', userId: ada.user.id, error: 'business' });
    const product = await orderableProduct(call, admin, { amount: 400, stock: 2 });
    const o = await order(ada, product.id, 1);
    expect((await waitForOrder(call, ada.accessToken, o.id)).status).toBe('NEEDS_ATTENTION');
    const exec = await finishedExecution(call, o.id);
    expect(exec.execution).toMatchObject({ status: 'FAILED', error: 'CompensationFailed' });
    expect(statesEntered(exec).slice(-3)).toEqual(['ReleaseInventory', 'MarkNeedsAttention', 'NeedsAttention']);
    // The refund ran before the release failed: no money kept. The units (committed before ConfirmOrder failed) stay
    // out of stock until a person releases them: what NEEDS_ATTENTION is for.
    expect(await processorBooks(o.id)).toEqual({ charges: 1, captured: 400, refunded: 400 });
    expect(await stock(product.id)).toMatchObject({ available: 1, reserved: 0 });
    const expected = { ...NONE, 'payment.completed': 1, 'payment.refunded': 1, 'order.cancelled': 0 };
    expect(await eventCounts(call, o.id, expected)).toEqual(expected);
  });

  it('every compensation run twice (a second compensation-only execution) leaves the same end state', async () => {
    const ada = await registerCustomer(call);
    await injectFault(call, { state: 'ConfirmOrder', userId: ada.user.id, error: 'business' });
    const product = await orderableProduct(call, admin, { amount: 800, stock: 2 });
    const o = await order(ada, product.id, 2);
    await waitForOrder(call, ada.accessToken, o.id);
    const first = await finishedExecution(call, o.id);
    const again = `${o.id}-again`;
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: env.ORDER_SAGA_ARN,
        name: again,
        input: JSON.stringify({ ...JSON.parse(first.execution.input), compensate: { reason: 'CONFIRMATION_FAILED' } }),
      }),
    );
    const second = await finishedExecution(call, again);
    expect(second.execution.status).toBe('SUCCEEDED');
    expect(statesEntered(second)).toEqual([
      'Route',
      'CompensationRequested',
      'RefundPayment',
      'ReleaseInventory',
      'CancelOrder',
      'Cancelled',
    ]);
    expect((await call<OrderBody>('GET', `/orders/${o.id}`, { token: ada.accessToken })).body).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'CONFIRMATION_FAILED',
    });
    expect(await processorBooks(o.id)).toEqual({ charges: 1, captured: 1600, refunded: 1600 });
    expect(await stock(product.id)).toMatchObject({ available: 2, reserved: 0 });
    const expected = { ...NONE, 'payment.completed': 1, 'payment.refunded': 1 };
    expect(await eventCounts(call, o.id, expected)).toEqual(expected);
  });
});

describe('order saga: duplicates', () => {
  it('the same Idempotency-Key twice: one order, one execution, one charge', async () => {
    const ada = await registerCustomer(call);
    const product = await orderableProduct(call, admin, { amount: 1100, stock: 5 });
    const key = `saga-e2e-${ada.user.id}`;
    const [a, b] = await Promise.all([
      placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 1 }], { idempotencyKey: key }),
      placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 1 }], { idempotencyKey: key }),
    ]);
    const ok = [a, b].filter((r) => r.status === 202);
    expect(ok.length).toBeGreaterThan(0);
    const id = ok[0]!.body.id;
    placed.push(id);
    for (const r of [a, b]) expect(r.status === 409 || r.body.id === id).toBe(true);
    const again = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 1 }], { idempotencyKey: key });
    expect(again.body.id).toBe(id);
    expect((await waitForOrder(call, ada.accessToken, id)).status).toBe('CONFIRMED');
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: env.ORDER_SAGA_ARN }));
    expect(list.executions!.filter((e) => e.name === id)).toHaveLength(1);
    expect(await processorBooks(id)).toEqual({ charges: 1, captured: 1100, refunded: 0 });
    expect(await stock(product.id)).toMatchObject({ available: 4, reserved: 0 });
    expect(await eventCounts(call, id, CONFIRMED_EVENTS)).toEqual(CONFIRMED_EVENTS);
  });

  it('a duplicate saga start is the same execution (while it runs) and refused after; the steps ran once', async () => {
    const ada = await registerCustomer(call);
    await injectFault(call, { state: 'ReserveInventory', userId: ada.user.id, delayMs: 1_500 });
    const product = await orderableProduct(call, admin, { amount: 600, stock: 3 });
    const o = await order(ada, product.id, 1);
    let running = await execution(call, o.id);
    for (let i = 0; !running && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      running = await execution(call, o.id);
    }
    const input = running!.execution.input;
    const duplicate = await sfn.send(new StartExecutionCommand({ stateMachineArn: env.ORDER_SAGA_ARN, name: o.id, input }));
    expect(duplicate.executionArn).toBe(running!.execution.executionArn);
    await waitForOrder(call, ada.accessToken, o.id);
    const exec = await finishedExecution(call, o.id);
    expect(tries(exec, 'ReserveInventory')).toBe(1);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: env.ORDER_SAGA_ARN, name: o.id, input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(await processorBooks(o.id)).toEqual({ charges: 1, captured: 600, refunded: 0 });
    expect(await stock(product.id)).toMatchObject({ available: 2, reserved: 0 });
    expect(await eventCounts(call, o.id, CONFIRMED_EVENTS)).toEqual(CONFIRMED_EVENTS);
  });
});

describe('order saga: a cancel racing it', () => {
  it('before the charge: CANCELLED, nothing captured, stock as before', async () => {
    const ada = await registerCustomer(call);
    await injectFault(call, { state: 'RecordInventoryReserved', userId: ada.user.id, delayMs: 1_500 });
    const product = await orderableProduct(call, admin, { amount: 300, stock: 2 });
    const o = await order(ada, product.id, 2);
    expect((await call('POST', `/orders/${o.id}/cancel`, { token: ada.accessToken })).status).toBe(202);
    expect(await waitForOrder(call, ada.accessToken, o.id, ['CANCELLED', 'NEEDS_ATTENTION'])).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'CUSTOMER_CANCELLED',
    });
    await finishedExecution(call, o.id);
    expect((await processorBooks(o.id)).captured).toBe(0);
    expect(await stock(product.id)).toMatchObject({ available: 2, reserved: 0 });
    expect(await eventCounts(call, o.id, NONE)).toEqual(NONE);
  });

  it('during the charge: CANCELLED and everything captured refunded, stock as before', async () => {
    const ada = await registerCustomer(call);
    await injectFault(call, { state: 'ProcessPayment', userId: ada.user.id, delayMs: 1_500 });
    const product = await orderableProduct(call, admin, { amount: 350, stock: 2 });
    const o = await order(ada, product.id, 2);
    await new Promise((r) => setTimeout(r, 800));
    expect((await call('POST', `/orders/${o.id}/cancel`, { token: ada.accessToken })).status).toBe(202);
    expect(await waitForOrder(call, ada.accessToken, o.id, ['CANCELLED', 'NEEDS_ATTENTION'])).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'CUSTOMER_CANCELLED',
    });
    await finishedExecution(call, o.id);
    const books = await processorBooks(o.id);
    expect(books.captured - books.refunded).toBe(0);
    expect(await stock(product.id)).toMatchObject({ available: 2, reserved: 0 });
    // Whether the charge landed before the cancel was seen decides completed/refunded; they always come in pairs.
    const expected = { ...NONE, 'payment.completed': books.charges, 'payment.refunded': books.charges };
    expect(await eventCounts(call, o.id, expected)).toEqual(expected);
  });

  it('after confirmation: CONFIRMED, then refunded and restocked, CANCELLED', async () => {
    const ada = await registerCustomer(call);
    const product = await orderableProduct(call, admin, { amount: 450, stock: 2 });
    const o = await order(ada, product.id, 2);
    expect((await waitForOrder(call, ada.accessToken, o.id)).status).toBe('CONFIRMED');
    expect((await call('POST', `/orders/${o.id}/cancel`, { token: ada.accessToken })).status).toBe(202);
    expect(await waitForOrder(call, ada.accessToken, o.id, ['CANCELLED', 'NEEDS_ATTENTION'])).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'CUSTOMER_CANCELLED',
    });
    expect(await processorBooks(o.id)).toEqual({ charges: 1, captured: 900, refunded: 900 });
    expect(await stock(product.id)).toMatchObject({ available: 2, reserved: 0 });
    const expected = { ...NONE, 'payment.completed': 1, 'order.confirmed': 1, 'payment.refunded': 1 };
    expect(await eventCounts(call, o.id, expected)).toEqual(expected);
  });
});

describe('order saga: a slow processor', () => {
  it('every try outlives TimeoutSeconds: States.Timeout, retried, then compensated (PAYMENT_FAILED), nothing kept', async () => {
    const { ada, product, o } = await slow;
    const exec = await finishedExecution(call, o.id, 150_000);
    expect(exec.events.filter((e) => e.type === 'LambdaFunctionTimedOut' && e.state === 'ProcessPayment')).toHaveLength(4);
    expect(statesEntered(exec).slice(-5)).toEqual([
      'PaymentFailed',
      'RefundPayment',
      'ReleaseInventory',
      'CancelOrder',
      'Cancelled',
    ]);
    expect(await waitForOrder(call, ada.accessToken, o.id)).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'PAYMENT_FAILED',
    });
    expect((await processorBooks(o.id)).captured).toBe(0);
    expect(await stock(product.id)).toMatchObject({ available: 2, reserved: 0 });
    const expected = { ...NONE };
    expect(await eventCounts(call, o.id, expected)).toEqual(expected);
  }, 180_000);
});

describe('order saga under load', () => {
  it('100 concurrent orders for 10 units, good and declined cards: all end, at most 10 sold, stock and money add up', async () => {
    const customers = await Promise.all(Array.from({ length: 10 }, () => registerCustomer(call)));
    const product = await orderableProduct(call, admin, { amount: 1999, stock: 10 });
    const cards = ['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_mastercard', 'pm_card_chargeDeclinedInsufficientFunds'];
    const started = performance.now();
    const orders = await Promise.all(
      Array.from({ length: 100 }, (_, i) => order(customers[i % 10]!, product.id, 1, { paymentMethod: cards[i % cards.length] })),
    );
    const ids = orders.map((o) => o.id);
    // One poll of the execution list instead of 100 order polls (the API key's usage plan would throttle those).
    for (;;) {
      const { body } = await call<{ executions: Array<{ name: string; status: string }> }>('GET', '/_local/executions');
      const mine = body.executions.filter((e) => ids.includes(e.name));
      if (mine.length === ids.length && mine.every((e) => e.status !== 'RUNNING')) break;
      if (performance.now() - started > 280_000)
        throw new Error(`still running: ${mine.filter((e) => e.status === 'RUNNING').length}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const seconds = (performance.now() - started) / 1000;
    const final = await Promise.all(
      orders.map(
        async (o, i) => (await call<OrderBody>('GET', `/orders/${o.id}`, { token: customers[i % 10]!.accessToken })).body,
      ),
    );
    const confirmed = final.filter((o) => o.status === 'CONFIRMED');
    const cancelled = final.filter((o) => o.status === 'CANCELLED');
    const odd = final.filter((o) => o.status !== 'CONFIRMED' && o.status !== 'CANCELLED');
    const why = await Promise.all(
      odd.map(async (o) => {
        const e = await execution(call, o.id);
        return { id: o.id, status: o.status, history: o.history, execution: e?.execution, path: e && statesEntered(e) };
      }),
    );
    expect(why, 'every order ends CONFIRMED or CANCELLED, none stuck').toEqual([]);
    expect(confirmed.length).toBeLessThanOrEqual(10);
    expect(confirmed.length).toBeGreaterThan(0);
    const level = await stock(product.id);
    expect(level.reserved).toBe(0);
    expect(level.available + confirmed.length, 'stock plus committed equals the initial stock').toBe(10);
    // Money: captured minus refunded is what the confirmed orders cost, at the processor and (reconcile) in our ledger.
    const books = await Promise.all(ids.map((id) => processorBooks(id)));
    const kept = books.reduce((s, b) => s + b.captured - b.refunded, 0);
    expect(kept).toBe(confirmed.reduce((s, o) => s + o.total.amount, 0));
    expect(books.every((b) => b.charges <= 1)).toBe(true);
    expect(await reconcile(db, env.PAYMENT_PROCESSOR_URL!, ids)).toEqual([]);
    const { rows } = await db.query<{ order_id: string; captured: string; refunded: string }>(
      `SELECT order_id, sum(amount) FILTER (WHERE kind = 'charge') AS captured, sum(amount) FILTER (WHERE kind = 'refund') AS refunded
       FROM payment_transactions WHERE order_id = ANY($1) GROUP BY order_id`,
      [ids],
    );
    expect(rows.reduce((s, r) => s + Number(r.captured ?? 0) - Number(r.refunded ?? 0), 0)).toBe(kept);
    for (const reason of new Set(cancelled.map((o) => o.cancelReason)))
      expect(['INSUFFICIENT_STOCK', 'PAYMENT_DECLINED', 'INSUFFICIENT_FUNDS']).toContain(reason);
    console.log(
      `saga load: 100 orders settled in ${seconds.toFixed(1)} s (${(100 / seconds).toFixed(1)}/s); ${confirmed.length} confirmed, ` +
        `${cancelled.length} cancelled (${[...new Set(cancelled.map((o) => o.cancelReason))].join(', ')})`,
    );
  }, 300_000);
});
