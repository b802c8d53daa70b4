import { httpRoute } from '../../../shared/http/handler.ts';
import { paymentsApp } from '../composition.ts';
import { refundPayment } from '../domain/payments.ts';
import {
  examplePayment,
  exampleRefund,
  IdempotencyHeaders,
  PaymentPath,
  RefundRequestBody,
  RefundResultBody,
} from './schemas.ts';

/** Admins only (customers get 403): a full or partial refund, never above captured minus refunded. */
export const handler = httpRoute(
  {
    access: 'admin',
    schemas: {
      path: PaymentPath,
      body: RefundRequestBody,
      headers: IdempotencyHeaders,
      response: { status: 200, body: RefundResultBody, example: { payment: examplePayment, refund: exampleRefund } },
      errors: [404, 409, 422, 503],
    },
  },
  async ({ path, body, headers, principal, correlationId }) => ({
    body: await refundPayment(
      await paymentsApp(),
      path.id,
      { idempotencyKey: headers['idempotency-key'], amount: body.amount, reason: body.reason, requestedBy: principal.userId },
      correlationId,
    ),
  }),
);
