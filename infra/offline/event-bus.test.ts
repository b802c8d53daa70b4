import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { defineService } from '../../shared/service.ts';
import { LocalEventBus } from './event-bus.ts';

const received: SQSEvent[] = [];
let failuresLeft = 0;
/** The scripted subscriber's behaviour, set per test: which records of a batch it fails. */
let script: (event: SQSEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> = async () => ({
  batchItemFailures: [],
});
vi.mock('./lambda.ts', () => ({
  invoke: async (_service: string, handler: string, event: SQSEvent) => {
    if (handler === 'handlers/scripted') return script(event);
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

const scripted = defineService({
  name: 'notifications',
  description: 'scripted consumer',
  stores: {},
  routes: [],
  subscriptions: [{ name: 'events', events: ['order.created'], handler: 'handlers/scripted', batchSize: 10 }],
});
const entry = (n: number) => ({ Source: 'shop.orders', DetailType: 'order.created', Detail: JSON.stringify({ n }) });
const numberOf = (r: SQSEvent['Records'][number]) => (JSON.parse(r.body).detail as { n: number }).n;

describe('LocalEventBus queues (SQS and the Lambda event source)', () => {
  it('delivers in batches of more than one, up to the subscription batch size', async () => {
    const batches: number[][] = [];
    script = async (event) => {
      batches.push(event.Records.map(numberOf));
      return { batchItemFailures: [] };
    };
    const bus = new LocalEventBus([scripted], { batchWindowMs: 10, maxConcurrency: 1 });
    bus.put(Array.from({ length: 12 }, (_, i) => entry(i)));
    await bus.drain();
    expect(batches).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11],
    ]);
  });

  it('redelivers only the reported records, after the visibility timeout, with their receive count', async () => {
    const seen: Array<{ n: number; receives: string; at: number }> = [];
    script = async (event) => {
      for (const r of event.Records)
        seen.push({ n: numberOf(r), receives: r.attributes.ApproximateReceiveCount, at: Date.now() });
      const bad = event.Records.filter((r) => numberOf(r) === 1 && r.attributes.ApproximateReceiveCount === '1');
      return { batchItemFailures: bad.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    const bus = new LocalEventBus([scripted], { visibilityTimeoutMs: 150, batchWindowMs: 10 });
    bus.put([entry(0), entry(1), entry(2)]);
    await bus.drain();
    expect(seen.map((s) => [s.n, s.receives])).toEqual([
      [0, '1'],
      [1, '1'],
      [2, '1'],
      [1, '2'],
    ]);
    expect(seen[3]!.at - seen[0]!.at).toBeGreaterThanOrEqual(140);
    expect(bus.log.map((e) => e.deliveries[0])).toEqual([
      { subscription: 'notifications.events', status: 'delivered', attempts: 1 },
      { subscription: 'notifications.events', status: 'delivered', attempts: 2 },
      { subscription: 'notifications.events', status: 'delivered', attempts: 1 },
    ]);
  });

  it('fails the whole batch when the function throws, and dead-letters a message after the receive limit; redrive moves it back', async () => {
    let poisoned = true;
    const delivered: number[] = [];
    script = async (event) => {
      const failures = [];
      for (const r of event.Records) {
        if (numberOf(r) === 7 && poisoned) failures.push({ itemIdentifier: r.messageId });
        else delivered.push(numberOf(r));
      }
      return { batchItemFailures: failures };
    };
    const bus = new LocalEventBus([scripted], { visibilityTimeoutMs: 5, batchWindowMs: 5 });
    bus.put([entry(6), entry(7), entry(8)]);
    await bus.drain();
    expect(delivered.sort()).toEqual([6, 8]);
    const [letter, ...rest] = bus.deadLetters();
    expect(rest).toEqual([]);
    expect(letter).toMatchObject({ queue: 'notifications.events', receiveCount: 3, error: 'reported as a batch item failure' });
    expect(bus.queueStats()).toEqual([{ queue: 'notifications.events', messages: 0, inFlight: 0, deadLetters: 1 }]);

    poisoned = false;
    expect(bus.redrive({ queue: 'notifications.other' })).toBe(0);
    expect(bus.redrive({ queue: 'notifications.events' })).toBe(1);
    await bus.drain();
    expect(delivered.sort()).toEqual([6, 7, 8]);
    expect(bus.deadLetters()).toEqual([]);
    expect(bus.log[1]!.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 4 });

    script = async () => {
      throw new Error('function crashed');
    };
    bus.put([entry(9), entry(10)]);
    await bus.drain();
    expect(bus.deadLetters().map((d) => [d.error, d.receiveCount])).toEqual([
      ['function crashed', 3],
      ['function crashed', 3],
    ]);
  });
});
