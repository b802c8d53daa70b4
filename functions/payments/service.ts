import { defineService } from '../../shared/service.ts';

export default defineService({
  name: 'payments',
  description: 'Charges and refunds through the payment processor (over HTTP), an append-only ledger in PostgreSQL',
  stores: { postgres: true },
  routes: [
    {
      method: 'GET',
      path: '/payments',
      handler: 'handlers/list-payments',
      access: 'admin',
      summary: 'Payments, newest first, filtered, cursor-paginated (admins)',
    },
    {
      method: 'GET',
      path: '/payments/{id}',
      handler: 'handlers/get-payment',
      access: 'user',
      summary: 'A payment with its refunds (own, or any for admins)',
    },
    {
      method: 'GET',
      path: '/payments/order/{orderId}',
      handler: 'handlers/get-order-payment',
      access: 'user',
      summary: "An order's payment (own, or any for admins)",
    },
    {
      method: 'POST',
      path: '/payments/{id}/refund',
      handler: 'handlers/refund',
      access: 'admin',
      summary: 'Refund all or part of a payment (admins; Idempotency-Key header)',
    },
  ],
  sagaTasks: [
    { state: 'ProcessPayment', handler: 'handlers/process-payment' },
    { state: 'RefundPayment', handler: 'handlers/refund-payment' },
  ],
  schedules: [
    { name: 'outbox-relay', everyMinutes: 1, handler: 'handlers/relay-outbox' },
    { name: 'resume-refunds', everyMinutes: 5, handler: 'handlers/resume-refunds' },
  ],
  publishes: ['payment.initiated', 'payment.completed', 'payment.failed', 'payment.refunded'],
});
