import { httpRoute } from '../../../shared/http/handler.ts';
import { ordersApp } from '../composition.ts';
import { summaryOf } from '../domain/order.ts';
import { listOrders } from '../domain/orders.ts';
import { exampleOrder, OrderPage, UserOrdersPath, UserOrdersQuery } from '../schemas.ts';

export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      path: UserOrdersPath,
      query: UserOrdersQuery,
      response: { status: 200, body: OrderPage, example: { items: [summaryOf(exampleOrder)], nextCursor: null } },
      errors: [403, 503],
    },
  },
  async ({ path, query, principal }) => ({
    body: await listOrders(await ordersApp(), principal, path.userId, { limit: query.limit, cursor: query.cursor }),
  }),
);
