import { httpRoute } from '../../../shared/http/handler.ts';
import { countMetric } from '../../../shared/observability.ts';
import { ordersApp } from '../composition.ts';
import { placeOrder } from '../domain/orders.ts';
import { exampleOrder, IdempotencyHeaders, OrderView, PlaceOrderBody, viewOf } from '../schemas.ts';

/** 202: the order is written and its saga starts; GET the Location to follow it. */
export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      body: PlaceOrderBody,
      headers: IdempotencyHeaders,
      response: { status: 202, body: OrderView, example: exampleOrder, location: true },
      errors: [409, 422, 503],
    },
  },
  async ({ body, headers, principal, correlationId }) => {
    const { order, replayed } = await placeOrder(await ordersApp(), principal, headers['idempotency-key'], body, correlationId);
    if (!replayed) countMetric('orders', 'OrderPlaced');
    return {
      status: 202,
      body: viewOf(order),
      headers: { Location: `/orders/${order.id}`, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
    };
  },
);
