import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, api, registerCustomer, type SignedIn } from '../support/api.ts';
import { orderableProduct, placeOrder, waitForOrder } from '../support/orders.ts';
import { reconcile } from '../support/reconcile.ts';

const call = api();
const env = inject('runtimeEnv');
type Payment = {
  id: string;
  orderId: string;
  userId: string;
  status: string;
  amount: { amount: number; currency: string };
  refunded: { amount: number };
  card: { brand: string; last4: string } | null;
  failureReason: string | null;
  refunds: Array<{ id: string; amount: { amount: number } }>;
};

let ada: SignedIn;
let bob: SignedIn;
let admin: string;
let product: { id: string; price: { amount: number } };
const orderIds: string[] = [];
let db: pg.Pool;

beforeAll(async () => {
  [ada, bob, admin] = await Promise.all([
    registerCustomer(call, { name: 'Ada' }),
    registerCustomer(call, { name: 'Bob' }),
    adminToken(call),
  ]);
  product = await orderableProduct(call, admin, { amount: 1500, stock: 50 });
  db = new pg.Pool({ connectionString: env.DATABASE_URL_PAYMENTS, max: 2 });
});

afterAll(async () => {
  // Our books and the processor's agree on every order this file placed.
  if (orderIds.length) expect(await reconcile(db, env.PAYMENT_PROCESSOR_URL!, orderIds)).toEqual([]);
  await db?.end();
});

async function orderWith(paymentMethod: string, statuses?: string[]) {
  const placed = await placeOrder(call, ada.accessToken, [{ productId: product.id, quantity: 2 }], { paymentMethod });
  expect(placed.status).toBe(202);
  orderIds.push(placed.body.id);
  return waitForOrder(call, ada.accessToken, placed.body.id, statuses);
}

describe('payments over the API', () => {
  let payment: Payment;

  it('an order paid with pm_card_visa is CONFIRMED; its owner and admins see the payment, anyone else gets 404', async () => {
    const order = await orderWith('pm_card_visa', ['CONFIRMED']);
    const mine = await call<Payment>('GET', `/payments/order/${order.id}`, { token: ada.accessToken });
    expect(mine.status).toBe(200);
    payment = mine.body;
    expect(payment).toMatchObject({
      orderId: order.id,
      userId: ada.user.id,
      status: 'captured',
      amount: { amount: 3000, currency: 'USD' },
      card: { brand: 'visa', last4: '4242' },
    });
    expect(JSON.stringify(payment)).not.toContain('pm_card');
    expect((await call('GET', `/payments/${payment.id}`, { token: ada.accessToken })).status).toBe(200);
    expect((await call('GET', `/payments/${payment.id}`, { token: admin })).status).toBe(200);
    expect((await call('GET', `/payments/${payment.id}`, { token: bob.accessToken })).status).toBe(404);
    expect((await call('GET', `/payments/order/${order.id}`, { token: bob.accessToken })).status).toBe(404);
    expect((await call('GET', '/payments/pay_doesnotexist', { token: admin })).status).toBe(404);
  });

  it('only admins refund (403 for the customer), with an Idempotency-Key; the same key answers the same refund', async () => {
    const body = { amount: 1000, reason: 'One arrived broken' };
    const path = `/payments/${payment.id}/refund`;
    expect(
      (await call('POST', path, { token: ada.accessToken, body, headers: { 'idempotency-key': 'e2e-refund-0001' } })).status,
    ).toBe(403);
    expect((await call('POST', path, { token: admin, body })).status).toBe(400);
    const first = await call<{ payment: Payment; refund: { id: string } }>('POST', path, {
      token: admin,
      body,
      headers: { 'idempotency-key': `e2e-refund-${payment.id}` },
    });
    expect(first.status).toBe(200);
    expect(first.body.payment).toMatchObject({ status: 'partially_refunded', refunded: { amount: 1000 } });
    const again = await call<{ refund: { id: string } }>('POST', path, {
      token: admin,
      body,
      headers: { 'idempotency-key': `e2e-refund-${payment.id}` },
    });
    expect(again.body.refund.id).toBe(first.body.refund.id);
    const tooMuch = await call<{ error: { details: { reason: string } } }>('POST', path, {
      token: admin,
      body: { amount: 2001, reason: 'more than is left' },
      headers: { 'idempotency-key': `e2e-refund-more-${payment.id}` },
    });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error.details.reason).toBe('REFUND_EXCEEDS_CAPTURED');
  });

  it('admins list payments filtered by user (customers get 403)', async () => {
    expect((await call('GET', '/payments', { token: ada.accessToken })).status).toBe(403);
    const list = await call<{ items: Payment[] }>('GET', `/payments?userId=${ada.user.id}&limit=5`, { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.items.map((p) => p.id)).toContain(payment.id);
    expect(list.body.items.every((p) => p.userId === ada.user.id)).toBe(true);
  });

  it('a card with insufficient funds cancels the order (INSUFFICIENT_FUNDS) and records a failed payment', async () => {
    const order = await orderWith('pm_card_chargeDeclinedInsufficientFunds', ['CANCELLED']);
    expect(order.cancelReason).toBe('INSUFFICIENT_FUNDS');
    const failed = await call<Payment>('GET', `/payments/order/${order.id}`, { token: ada.accessToken });
    expect(failed.body).toMatchObject({ status: 'failed', failureReason: 'insufficient_funds', card: null });
  });

  it('a processor slower than our timeout still ends with one charge and a CONFIRMED order', async () => {
    const order = await orderWith('pm_card_slowerThanTimeout', ['CONFIRMED']);
    const paid = await call<Payment>('GET', `/payments/order/${order.id}`, { token: ada.accessToken });
    expect(paid.body).toMatchObject({ status: 'captured', card: { last4: '3220' } });
  });

  it('/metrics shows the processor breaker state and the payment counts', async () => {
    const res = await fetch(`${inject('apiUrl')}/metrics`);
    const text = await res.text();
    // Its value depends on what other suites running against this runtime did to the processor.
    expect(text).toMatch(/shop_gauge\{metric="PaymentProcessorBreakerState",service="shop-payments"\} [0-2]\n/);
    expect(text).toMatch(/shop_business_events_total\{metric="PaymentCaptured",service="shop-payments"\} [1-9]/);
  });
});
