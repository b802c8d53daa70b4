import { httpRoute } from '../../../shared/http/handler.ts';
import { paymentsApp } from '../composition.ts';
import { listPayments } from '../domain/payments.ts';
import { examplePayment, ListQuery, PaymentPageBody } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'admin',
    schemas: {
      query: ListQuery,
      response: { status: 200, body: PaymentPageBody, example: { items: [examplePayment], nextCursor: null } },
      errors: [503],
    },
  },
  async ({ query }) => ({ body: await listPayments(await paymentsApp(), query) }),
);
