import * as z from 'zod';
import { cachedOnce } from '../../shared/cache.ts';
import { config, serviceConfig } from '../../shared/config.ts';
import { type Pool, poolFor } from '../../shared/db/postgres.ts';
import '../../shared/events/orders.ts';
import '../../shared/events/products.ts';
import { relayOutbox } from '../../shared/events/outbox.ts';
import { EventBridgePublisher, type EventPublisher } from '../../shared/events/publisher.ts';
import { logger } from '../../shared/observability.ts';
import { type OrdersDeps, startPendingSagas } from './domain/orders.ts';
import { type Clock, type SagaStarter, systemClock } from './domain/ports.ts';
import { PgOrderStore } from './store/pg-orders.ts';
import { PgPriceBook } from './store/pg-prices.ts';
import { SfnSagaStarter } from './store/sfn-saga.ts';

const OrdersConfig = z.object({
  /** The order saga's state machine; offline the local Step Functions endpoint answers for this ARN. */
  ORDER_SAGA_ARN: z.string().startsWith('arn:').default('arn:aws:states:us-east-1:000000000000:stateMachine:shop-order-saga'),
  /** How long an order may sit unchanged in flight before the reconciler asks Step Functions about it. */
  ORDERS_RECONCILE_GRACE_SECONDS: z.coerce.number().int().nonnegative().default(60),
  /** Days a used Idempotency-Key replays its order (clients retry within minutes; a week leaves room for outages). */
  ORDERS_IDEMPOTENCY_KEY_DAYS: z.coerce.number().int().positive().default(7),
  /** Days published events and dedupe records are kept: longer than SQS keeps a message (14 days). */
  ORDERS_EVENT_RETENTION_DAYS: z.coerce.number().int().min(15).default(15),
});
export const ordersConfig = () => serviceConfig(OrdersConfig);

export type OrdersApp = OrdersDeps & {
  pool: Pool;
  /** Publishes pending events and starts pending sagas (the schedule's job; also each change's fast path). */
  relay(orderId?: string): Promise<{ published: number; failed: number; sagasStarted: number; sagaStartsFailed: number }>;
};

/** Runs `work` for at most `timeoutMs`, never throwing: the scheduled relay picks up whatever it did not finish. */
async function bounded(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const guarded = work.catch((error: Error) => logger.warn('orders fast path failed; the scheduled relay retries', { error }));
  await Promise.race([guarded, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

export function buildOrdersApp(
  pool: Pool,
  options: { publisher?: EventPublisher; saga?: SagaStarter; clock?: Clock; fastPathMs?: number } = {},
): OrdersApp {
  const publisher = options.publisher ?? new EventBridgePublisher();
  const saga = options.saga ?? SfnSagaStarter.create(ordersConfig().ORDER_SAGA_ARN, config().SFN_ENDPOINT);
  const orders = new PgOrderStore(pool);
  const relay = async (orderId?: string) => {
    const sagas = await startPendingSagas({ orders, saga }, orderId);
    const events = await relayOutbox(pool, publisher, orderId ? 20 : 100);
    return { published: events.published, failed: events.failed, sagasStarted: sagas.started, sagaStartsFailed: sagas.failed };
  };
  return {
    pool,
    orders,
    prices: new PgPriceBook(pool),
    saga,
    clock: options.clock ?? systemClock,
    afterCommit: (orderId) => bounded(relay(orderId), options.fastPathMs ?? 1_500),
    relay,
  };
}

/** Built once per container: the pool, the SDK clients and the stores are reused by every invocation. */
export const ordersApp = cachedOnce(async () => buildOrdersApp(await poolFor('orders')));
