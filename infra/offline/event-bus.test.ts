import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { defineService } from '../../shared/service.ts';
import { LocalEventBus } from './event-bus.ts';

const received: SQSEvent[] = [];
let failuresLeft = 0;
vi.mock('./lambda.ts', () => ({
  invoke: async (_service: string, handler: string, event: SQSEvent) => {
    if (handler === 'handlers/always-fails') throw new Error('boom');
    if (failuresLeft > 0) {
      failuresLeft--;
      return { batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] };
    }
    received.push(event);
    return { batchItemFailures: [] };
  },
}));

const consumer = defineService({
  name: 'notifications',
  description: 'test consumer',
  stores: {},
  routes: [],
  subscriptions: [
    { name: 'orders', events: ['order.created', 'order.cancelled'], handler: 'handlers/on-order' },
    { name: 'broken', events: ['order.cancelled'], handler: 'handlers/always-fails' },
  ],
});

describe('LocalEventBus', () => {
  it('delivers matching events only, as an SQS record whose body is the EventBridge event', async () => {
    received.length = 0;
    const bus = new LocalEventBus([consumer], { retryDelayMs: 1 });
    const results = bus.put([
      { Source: 'shop.orders', DetailType: 'order.created', Detail: JSON.stringify({ id: 'e1' }) },
      { Source: 'shop.orders', DetailType: 'order.shipped', Detail: JSON.stringify({ id: 'e2' }) },
      { Source: 'partner.orders', DetailType: 'order.created', Detail: JSON.stringify({ id: 'e3' }) },
    ]);
    expect(results.every((r) => r.EventId)).toBe(true);
    await bus.drain();
    expect(received).toHaveLength(1);
    const body = JSON.parse(received[0]!.Records[0]!.body);
    expect(body).toMatchObject({ source: 'shop.orders', 'detail-type': 'order.created', detail: { id: 'e1' } });
  });

  it('retries a reported batch failure and dead-letters a subscriber that keeps failing after three receives', async () => {
    received.length = 0;
    failuresLeft = 1;
    const bus = new LocalEventBus([consumer], { retryDelayMs: 1 });
    bus.put([{ Source: 'shop.orders', DetailType: 'order.cancelled', Detail: '{"id":"e3"}' }]);
    await bus.drain();
    const deliveries = bus.log[0]!.deliveries;
    expect(deliveries.find((d) => d.subscription === 'notifications.orders')).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(deliveries.find((d) => d.subscription === 'notifications.broken')).toMatchObject({
      status: 'dead-lettered',
      attempts: 3,
      error: 'boom',
    });
    expect(bus.deadLetters()).toHaveLength(1);
  });

  it('rejects an entry whose Detail is not JSON, as PutEvents does, and keeps the others', () => {
    const bus = new LocalEventBus([consumer]);
    const [bad, good] = bus.put([
      { Source: 'shop.orders', DetailType: 'order.created', Detail: '{' },
      { Source: 'shop.orders', DetailType: 'order.shipped', Detail: '{}' },
    ]);
    expect(bad).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(good!.EventId).toBeTruthy();
  });
});
