import { defineService } from '../../shared/service.ts';

export default defineService({
  name: 'orders',
  description: 'Orders (PostgreSQL): placement with idempotency keys, status history, the listing, and the order saga steps',
  stores: { postgres: true },
  routes: [
    {
      method: 'POST',
      path: '/orders',
      handler: 'handlers/place-order',
      access: 'user',
      summary: 'Place an order (Idempotency-Key required); 202 and its saga starts',
    },
    {
      method: 'GET',
      path: '/orders/{id}',
      handler: 'handlers/get-order',
      access: 'user',
      summary: 'An order with lines, totals, status and history (owner or admin)',
    },
    {
      method: 'GET',
      path: '/orders/user/{userId}',
      handler: 'handlers/list-user-orders',
      access: 'user',
      summary: "A user's orders, newest first, cursor-paginated (self or admin)",
    },
    {
      method: 'POST',
      path: '/orders/{id}/cancel',
      handler: 'handlers/cancel-order',
      access: 'user',
      summary: 'Cancel an order; after payment or confirmation the saga refunds and restocks',
    },
  ],
  subscriptions: [
    {
      name: 'product-prices',
      events: ['product.created', 'product.updated', 'product.deleted'],
      handler: 'handlers/on-product-event',
      batchSize: 10,
    },
  ],
  sagaTasks: [
    { state: 'RecordInventoryReserved', handler: 'handlers/record-inventory-reserved' },
    { state: 'RecordPaymentCompleted', handler: 'handlers/record-payment-completed' },
    { state: 'ConfirmOrder', handler: 'handlers/confirm-order' },
    { state: 'CancelOrder', handler: 'handlers/saga-cancel-order' },
    { state: 'MarkNeedsAttention', handler: 'handlers/mark-needs-attention' },
  ],
  schedules: [
    { name: 'outbox-relay', everyMinutes: 1, handler: 'handlers/relay-outbox' },
    { name: 'reconciler', everyMinutes: 1, handler: 'handlers/reconcile' },
    { name: 'housekeeping', everyMinutes: 60, handler: 'handlers/housekeeping' },
  ],
  publishes: ['order.created', 'order.confirmed', 'order.cancelled'],
});
