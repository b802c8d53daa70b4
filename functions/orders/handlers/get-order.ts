import { httpRoute } from '../../../shared/http/handler.ts';
import { ordersApp } from '../composition.ts';
import { getOrder } from '../domain/orders.ts';
import { exampleOrder, NoQuery, OrderPath, OrderView, viewOf } from '../schemas.ts';

export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      path: OrderPath,
      query: NoQuery,
      response: { status: 200, body: OrderView, example: exampleOrder },
      errors: [404, 503],
    },
  },
  async ({ path, principal }) => ({ body: viewOf(await getOrder(await ordersApp(), principal, path.id)) }),
);
