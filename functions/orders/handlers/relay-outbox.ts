import { logger } from '../../../shared/observability.ts';
import { ordersApp } from '../composition.ts';

/** Scheduled: publishes pending events and starts the sagas of orders written but not started (a failed start retries here). */
export const handler = async () => {
  const report = await (await ordersApp()).relay();
  if (report.published || report.failed || report.sagasStarted || report.sagaStartsFailed)
    logger.info('orders relayed', { ...report });
  return report;
};
