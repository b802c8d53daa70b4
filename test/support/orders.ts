import { randomUUID } from 'node:crypto';
import type { ApiResponse, Call } from './api.ts';
import { apiClient } from './client.ts';

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
  const admin = clientFor(call, adminToken);
  const created = await admin.POST('/products', {
    body: { name: options.name ?? `E2E Item ${randomUUID().slice(0, 8)}`, category: 'e2e', price },
  });
  if (created.response.status !== 201 || !created.data)
    throw new Error(`create product: ${created.response.status} ${JSON.stringify(created.error)}`);
  const id = created.data.id;
  if (options.stock ?? 10) {
    const stocked = await admin.PUT('/products/{id}/inventory', {
      params: { path: { id } },
      body: { set: options.stock ?? 10, reason: 'e2e stock' },
    });
    if (stocked.response.status !== 200)
      throw new Error(`stock product: ${stocked.response.status} ${JSON.stringify(stocked.error)}`);
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

/** The typed client on the same runtime as `call` (a suite may run its own), signed in with `token`. */
function clientFor(call: Call, token: string) {
  return apiClient({ baseUrl: call.baseUrl, apiKey: call.apiKey, token });
}

/** POST /orders with an Idempotency-Key (a fresh one unless given). The body is the order on 202, the Error body otherwise. */
export async function placeOrder(
  call: Call,
  token: string,
  items: Array<{ productId: string; quantity: number }>,
  options: { paymentMethod?: string; idempotencyKey?: string } = {},
): Promise<ApiResponse<OrderBody>> {
  const { data, error, response } = await clientFor(call, token).POST('/orders', {
    params: { header: { 'idempotency-key': options.idempotencyKey ?? `e2e-${randomUUID()}` } },
    body: { items, paymentMethod: options.paymentMethod ?? 'pm_card_visa' },
  });
  // Typed from the spec: if the placement answer drifts from what the suites read, this stops compiling.
  const order: OrderBody | undefined = data;
  return { status: response.status, headers: response.headers, body: (order ?? error) as OrderBody };
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
    const { data, response } = await clientFor(call, token).GET('/orders/{id}', { params: { path: { id: orderId } } });
    const order: OrderBody | undefined = data;
    if (
      response.status === 200 &&
      order &&
      statuses.includes(order.status) &&
      !(order.status === 'CONFIRMED' && order.cancelRequestedAt)
    )
      return order;
    if (Date.now() > deadline)
      throw new Error(`order ${orderId} is ${order?.status ?? response.status}, not ${statuses.join('/')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
