import type { EventEnvelope } from '../../shared/events/envelope.ts';
import { newId } from '../../shared/ids.ts';
import type { Clock } from './domain/ports.ts';

/** A clock tests move by hand: nothing depends on today's date. */
export function manualClock(start = '2030-03-01T10:00:00.000Z'): Clock & { advance(seconds: number): void } {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    advance: (seconds) => {
      now += seconds * 1000;
    },
  };
}

const SOURCES: Record<string, string> = { user: 'shop.users', order: 'shop.orders', payment: 'shop.payments' };

/** An event envelope as a producer would publish it, at a fixed time. */
export function envelope<T extends Record<string, unknown>>(
  type: string,
  data: T,
  occurredAt = '2030-03-01T09:00:00.000Z',
): EventEnvelope<T> {
  return {
    id: newId('evt', Date.parse(occurredAt)),
    type,
    source: SOURCES[type.split('.')[0]!]!,
    occurredAt,
    correlationId: newId('cor'),
    version: 1,
    data,
  };
}

export function registered(userId: string, overrides: Partial<{ name: string; email: string; phone: string | null }> = {}) {
  return envelope('user.registered', {
    userId,
    email: overrides.email ?? `${userId}@example.test`,
    name: overrides.name ?? 'Ada',
    phone: overrides.phone ?? null,
    role: 'customer',
    registeredAt: '2030-03-01T09:00:00.000Z',
  });
}

export function orderConfirmed(userId: string, occurredAt = '2030-03-01T09:05:00.000Z') {
  return envelope(
    'order.confirmed',
    { orderId: newId('ord'), userId, total: { amount: 2598, currency: 'USD' }, confirmedAt: occurredAt },
    occurredAt,
  );
}

/** The SQS message an EventBridge rule delivers for an envelope. */
export function sqsRecord(event: EventEnvelope, messageId = newId('msg'), receives = 1) {
  return {
    messageId,
    receiptHandle: messageId,
    body: JSON.stringify({ version: '0', source: event.source, 'detail-type': event.type, detail: event }),
    attributes: {
      ApproximateReceiveCount: String(receives),
      SentTimestamp: '0',
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:shop-notifications-events',
    awsRegion: 'us-east-1',
  };
}
