import { countMetric, logger, metrics, metricsEnabled } from '../../../shared/observability.ts';
import { ordersApp, ordersConfig } from '../composition.ts';
import { reconcileOrders } from '../domain/reconcile.ts';

/** Scheduled: drives orders whose execution is gone or failed to an end (restart, compensate, or NEEDS_ATTENTION). */
export const handler = async () => {
  const report = await reconcileOrders(await ordersApp(), { graceSeconds: ordersConfig().ORDERS_RECONCILE_GRACE_SECONDS });
  if (report.restarted || report.compensated || report.needsAttention || report.failed) {
    logger.warn('orders reconciled', { ...report });
    if (report.needsAttention) countMetric('orders', 'OrderNeedsAttention', report.needsAttention);
    if (metricsEnabled()) metrics.publishStoredMetrics();
  }
  return report;
};
