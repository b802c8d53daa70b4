import { randomUUID } from 'node:crypto';
import type { Call } from './api.ts';

interface LoggedEvent {
  'detail-type': string;
  detail: { data: Record<string, unknown> };
  deliveries: Array<{ subscription: string; status: string }>;
}

/**
 * Orders prices lines from its read model of product events: a product created through the API is orderable once its
 * latest product.* event reached the orders subscription. Polls the offline bus's delivery log for that.
 */
export async function waitUntilOrderable(call: Call, productId: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call<{ events: LoggedEvent[] }>('GET', '/_local/events');
    const mine = body.events.filter((e) => e['detail-type'].startsWith('product.') && e.detail.data.productId === productId);
    const feed = mine.filter((e) => ['product.created', 'product.updated', 'product.deleted'].includes(e['detail-type']));
    const applied = (e: LoggedEvent) =>
      e.deliveries.some((d) => d.subscription === 'orders.product-prices' && d.status === 'delivered');
    if (feed.length && feed.every(applied)) return;
    if (Date.now() > deadline) throw new Error(`orders never heard of product ${productId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A new product with `stock` units on sale that the orders service can already price. */
export async function orderableProduct(
  call: Call,
  adminToken: string,
  options: { amount?: number; currency?: string; stock?: number; name?: string } = {},
): Promise<{ id: string; price: { amount: number; currency: string } }> {
  const price = { amount: options.amount ?? 1299, currency: options.currency ?? 'USD' };
  const created = await call<{ id: string }>('POST', '/products', {
    token: adminToken,
    body: { name: options.name ?? `E2E Item ${randomUUID().slice(0, 8)}`, category: 'e2e', price },
  });
  if (created.status !== 201) throw new Error(`create product: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id;
  if (options.stock ?? 10) {
    const stocked = await call('PUT', `/products/${id}/inventory`, {
      token: adminToken,
      body: { set: options.stock ?? 10, reason: 'e2e stock' },
    });
    if (stocked.status !== 200) throw new Error(`stock product: ${stocked.status} ${JSON.stringify(stocked.body)}`);
  }
  await waitUntilOrderable(call, id);
  return { id, price };
}

export interface OrderBody {
  id: string;
  userId: string;
  status: string;
  cancelReason: string | null;
  cancelRequestedAt: string | null;
  total: { amount: number; currency: string };
  lines: Array<{
    productId: string;
    name: string;
    quantity: number;
    unitPrice: { amount: number };
    lineTotal: { amount: number };
  }>;
  history: Array<{ status: string; reason: string | null; at: string; by: string }>;
}

/** POST /orders with an Idempotency-Key (a fresh one unless given). */
export function placeOrder(
  call: Call,
  token: string,
  items: Array<{ productId: string; quantity: number }>,
  options: { paymentMethod?: string; idempotencyKey?: string } = {},
) {
  return call<OrderBody>('POST', '/orders', {
    token,
    headers: { 'idempotency-key': options.idempotencyKey ?? `e2e-${randomUUID()}` },
    body: { items, paymentMethod: options.paymentMethod ?? 'pm_card_visa' },
  });
}

const SETTLED = ['CONFIRMED', 'CANCELLED', 'NEEDS_ATTENTION'];

/** Polls GET /orders/{id} until the order is in one of `statuses` (default: any settled one); returns it. */
export async function waitForOrder(
  call: Call,
  token: string,
  orderId: string,
  statuses: string[] = SETTLED,
  timeoutMs = 30_000,
): Promise<OrderBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call<OrderBody>('GET', `/orders/${orderId}`, { token });
    if (
      res.status === 200 &&
      statuses.includes(res.body.status) &&
      !(res.body.status === 'CONFIRMED' && res.body.cancelRequestedAt)
    )
      return res.body;
    if (Date.now() > deadline) throw new Error(`order ${orderId} is ${res.body.status ?? res.status}, not ${statuses.join('/')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
