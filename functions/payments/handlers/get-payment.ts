import { httpRoute } from '../../../shared/http/handler.ts';
import { paymentsApp } from '../composition.ts';
import { getPayment } from '../domain/payments.ts';
import { examplePayment, exampleRefund, NoQuery, PaymentDetailBody, PaymentPath } from './schemas.ts';

/** The owner or an admin; anyone else is told there is no such payment. */
export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      path: PaymentPath,
      query: NoQuery,
      response: {
        status: 200,
        body: PaymentDetailBody,
        example: { ...examplePayment, refunds: [exampleRefund] },
        links: {
          ReadOrderPayment: {
            operation: 'GET /payments/order/{orderId}',
            parameters: { 'path.orderId': '$response.body#/orderId' },
          },
        },
      },
      errors: [404, 503],
    },
  },
  async ({ path, principal }) => ({ body: await getPayment(await paymentsApp(), principal, path.id) }),
);
