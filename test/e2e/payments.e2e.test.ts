import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, api, registerCustomer, type SignedIn } from '../support/api.ts';
import { apiClient, type paths } from '../support/client.ts';
import { orderableProduct, placeOrder, waitForOrder } from '../support/orders.ts';
import { reconcile } from '../support/reconcile.ts';

const call = api();
const env = inject('runtimeEnv');
type Payment = paths['/payments/{id}']['get']['responses'][200]['content']['application/json'];

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
    const asAda = apiClient({ token: ada.accessToken });
    const asBob = apiClient({ token: bob.accessToken });
    const asAdmin = apiClient({ token: admin });
    const byOrder = { params: { path: { orderId: order.id } } };
    const mine = await asAda.GET('/payments/order/{orderId}', byOrder);
    expect(mine.response.status).toBe(200);
    payment = mine.data!;
    expect(payment).toMatchObject({
      orderId: order.id,
      userId: ada.user.id,
      status: 'captured',
      amount: { amount: 3000, currency: 'USD' },
      card: { brand: 'visa', last4: '4242' },
    });
    expect(JSON.stringify(payment)).not.toContain('pm_card');
    const byId = { params: { path: { id: payment.id } } };
    expect((await asAda.GET('/payments/{id}', byId)).response.status).toBe(200);
    expect((await asAdmin.GET('/payments/{id}', byId)).response.status).toBe(200);
    expect((await asBob.GET('/payments/{id}', byId)).response.status).toBe(404);
    expect((await asBob.GET('/payments/order/{orderId}', byOrder)).response.status).toBe(404);
    expect((await asAdmin.GET('/payments/{id}', { params: { path: { id: 'pay_doesnotexist' } } })).response.status).toBe(404);
  });

  it('only admins refund (403 for the customer), with an Idempotency-Key; the same key answers the same refund', async () => {
    const body = { amount: 1000, reason: 'One arrived broken' };
    const path = { id: payment.id };
    const asAdmin = apiClient({ token: admin });
    const refund = (key: string, refundBody: typeof body = body) =>
      asAdmin.POST('/payments/{id}/refund', { params: { path, header: { 'idempotency-key': key } }, body: refundBody });
    expect(
      (
        await apiClient({ token: ada.accessToken }).POST('/payments/{id}/refund', {
          params: { path, header: { 'idempotency-key': 'e2e-refund-0001' } },
          body,
        })
      ).response.status,
    ).toBe(403);
    // The spec requires the header; leaving it off is the point.
    const noKey = { path } as { path: typeof path; header: { 'idempotency-key': string } };
    expect((await asAdmin.POST('/payments/{id}/refund', { params: noKey, body })).response.status).toBe(400);
    const first = await refund(`e2e-refund-${payment.id}`);
    expect(first.response.status).toBe(200);
    expect(first.data?.payment).toMatchObject({ status: 'partially_refunded', refunded: { amount: 1000 } });
    const again = await refund(`e2e-refund-${payment.id}`);
    expect(again.data?.refund.id).toBe(first.data?.refund.id);
    const tooMuch = await refund(`e2e-refund-more-${payment.id}`, { amount: 2001, reason: 'more than is left' });
    expect(tooMuch.response.status).toBe(409);
    expect(tooMuch.error).toMatchObject({ error: { details: { reason: 'REFUND_EXCEEDS_CAPTURED' } } });
  });

  it('admins list payments filtered by user (customers get 403)', async () => {
    expect((await apiClient({ token: ada.accessToken }).GET('/payments')).response.status).toBe(403);
    const list = await apiClient({ token: admin }).GET('/payments', { params: { query: { userId: ada.user.id, limit: 5 } } });
    expect(list.response.status).toBe(200);
    expect(list.data?.items.map((p) => p.id)).toContain(payment.id);
    expect(list.data?.items.every((p) => p.userId === ada.user.id)).toBe(true);
  });

  it('a card with insufficient funds cancels the order (INSUFFICIENT_FUNDS) and records a failed payment', async () => {
    const order = await orderWith('pm_card_chargeDeclinedInsufficientFunds', ['CANCELLED']);
    expect(order.cancelReason).toBe('INSUFFICIENT_FUNDS');
    const failed = await apiClient({ token: ada.accessToken }).GET('/payments/order/{orderId}', {
      params: { path: { orderId: order.id } },
    });
    expect(failed.data).toMatchObject({ status: 'failed', failureReason: 'insufficient_funds', card: null });
  });

  it('a processor slower than our timeout still ends with one charge and a CONFIRMED order', async () => {
    const order = await orderWith('pm_card_slowerThanTimeout', ['CONFIRMED']);
    const paid = await apiClient({ token: ada.accessToken }).GET('/payments/order/{orderId}', {
      params: { path: { orderId: order.id } },
    });
    expect(paid.data).toMatchObject({ status: 'captured', card: { last4: '3220' } });
  });

  it('/metrics shows the processor breaker state and the payment counts', async () => {
    const res = await fetch(`${inject('apiUrl')}/metrics`);
    const text = await res.text();
    // Its value depends on what other suites running against this runtime did to the processor.
    expect(text).toMatch(/shop_gauge\{metric="PaymentProcessorBreakerState",service="shop-payments"\} [0-2]\n/);
    expect(text).toMatch(/shop_business_events_total\{metric="PaymentCaptured",service="shop-payments"\} [1-9]/);
  });
});
