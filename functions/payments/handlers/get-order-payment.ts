import { httpRoute } from '../../../shared/http/handler.ts';
import { paymentsApp } from '../composition.ts';
import { getOrderPayment } from '../domain/payments.ts';
import { examplePayment, exampleRefund, NoQuery, OrderPath, PaymentDetailBody } from './schemas.ts';

/** The payment of an order: the owner or an admin; anyone else is told there is none. */
export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      path: OrderPath,
      query: NoQuery,
      response: { status: 200, body: PaymentDetailBody, example: { ...examplePayment, refunds: [exampleRefund] } },
      errors: [404, 503],
    },
  },
  async ({ path, principal }) => ({ body: await getOrderPayment(await paymentsApp(), principal, path.orderId) }),
);
