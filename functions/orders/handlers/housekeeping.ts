import { logger } from '../../../shared/observability.ts';
import { ordersApp, ordersConfig } from '../composition.ts';
import { purgeExpired } from '../domain/housekeeping.ts';

/** Scheduled: forgets old Idempotency-Keys and published events (retention in the orders config). */
export const handler = async () => {
  const cfg = ordersConfig();
  const purged = await purgeExpired(await ordersApp(), {
    idempotencyKeyDays: cfg.ORDERS_IDEMPOTENCY_KEY_DAYS,
    eventDays: cfg.ORDERS_EVENT_RETENTION_DAYS,
  });
  if (Object.values(purged).some((n) => n > 0)) logger.info('orders housekeeping', { ...purged });
  return purged;
};
