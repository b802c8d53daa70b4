import type { Clock, OrderStore } from './ports.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface OrdersRetention {
  /** How long a used Idempotency-Key still replays its order; a retry later than that would place a new order. */
  idempotencyKeyDays: number;
  /** Published events and dedupe records: longer than any redelivery (SQS keeps messages up to 14 days). */
  eventDays: number;
}

/** Scheduled: keeps the orders database from growing without end. Orders and their history are never deleted. */
export async function purgeExpired(deps: { orders: OrderStore; clock: Clock }, retention: OrdersRetention) {
  const now = deps.clock.now().getTime();
  const keys = await deps.orders.purgeKeysBefore(new Date(now - retention.idempotencyKeyDays * DAY_MS));
  const events = await deps.orders.purgeEventsBefore(new Date(now - retention.eventDays * DAY_MS));
  return { idempotencyKeys: keys, outboxRows: events.outbox, processedEvents: events.processed };
}
