import { httpRoute } from '../../../shared/http/handler.ts';
import { paymentsApp } from '../composition.ts';
import { listPayments } from '../domain/payments.ts';
import { examplePayment, ListQuery, PaymentPageBody } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'admin',
    schemas: {
      query: ListQuery,
      response: {
        status: 200,
        body: PaymentPageBody,
        example: { items: [examplePayment], nextCursor: null },
        links: {
          ReadFirstPayment: { operation: 'GET /payments/{id}', parameters: { 'path.id': '$response.body#/items/0/id' } },
          ReadFirstOrderPayment: {
            operation: 'GET /payments/order/{orderId}',
            parameters: { 'path.orderId': '$response.body#/items/0/orderId' },
          },
        },
      },
      errors: [503],
    },
  },
  async ({ query }) => ({ body: await listPayments(await paymentsApp(), query) }),
);
