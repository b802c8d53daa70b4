import { logger } from '../../../shared/observability.ts';
import { productsService } from '../composition.ts';

/** Scheduled: publishes whatever the fast path left in either outbox (EventBridge down, a crash after a write). */
export const handler = async () => {
  const report = await (await productsService()).relay();
  if (report.published || report.failed) logger.info('outbox relayed', { ...report });
  return report;
};
