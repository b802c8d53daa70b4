import { httpRoute } from '../../../shared/http/handler.ts';
import { ordersApp } from '../composition.ts';
import { cancelOrder } from '../domain/orders.ts';
import { exampleOrder, NoQuery, OrderPath, OrderView, viewOf } from '../schemas.ts';

/**
 * 202: before the saga started the order is CANCELLED at once; later the cancel is recorded (`cancelRequestedAt`) and
 * the saga compensates (refund, restock) and ends it CANCELLED. A NEEDS_ATTENTION order is 409.
 */
export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      path: OrderPath,
      query: NoQuery,
      response: {
        status: 202,
        body: OrderView,
        example: { ...exampleOrder, status: 'CANCELLED', cancelReason: 'CUSTOMER_CANCELLED' },
        location: true,
      },
      errors: [404, 409, 503],
    },
  },
  async ({ path, principal }) => {
    const order = await cancelOrder(await ordersApp(), principal, path.id);
    return { status: 202, body: viewOf(order), headers: { Location: `/orders/${order.id}` } };
  },
);
