import { defineService } from '../../shared/service.ts';
import { notifyingEvents } from './domain/templates.ts';

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
      // Every event with a template, plus user.updated, which only keeps the contact read model current.
      events: [...notifyingEvents, 'user.updated'],
      handler: 'handlers/consume-events',
      batchSize: 10,
      // A welcome mail may wait a second for company; no longer.
      batchWindowSeconds: 1,
      sends: ['email', 'sms'],
    },
  ],
});
