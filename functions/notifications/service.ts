import { defineService } from '../../shared/service.ts';

export default defineService({
  name: 'notifications',
  description: 'Email and SMS from domain events, exactly once per event and channel, with a contact read model and history',
  stores: { mongo: true },
  routes: [
    {
      method: 'GET',
      path: '/notifications',
      handler: 'handlers/list-notifications',
      access: 'user',
      summary: 'Your notifications, newest first (an admin sees everyone’s)',
    },
    {
      method: 'GET',
      path: '/notifications/user/{userId}',
      handler: 'handlers/list-user-notifications',
      access: 'user',
      summary: 'A user’s notifications, newest first (the user themself or an admin)',
    },
  ],
  subscriptions: [
    {
      name: 'events',
      // Contact data comes from the three users events; every event here but user.updated has a template.
      events: [
        'user.registered',
        'user.updated',
        'user.password.changed',
        'order.created',
        'order.confirmed',
        'order.cancelled',
        'payment.completed',
        'payment.failed',
        'payment.refunded',
      ],
      handler: 'handlers/consume-events',
      batchSize: 10,
      // A welcome mail may wait a second for company; no longer.
      batchWindowSeconds: 1,
      sends: ['email', 'sms'],
    },
  ],
});
