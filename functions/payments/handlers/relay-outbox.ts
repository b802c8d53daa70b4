import { logger } from '../../../shared/observability.ts';
import { paymentsApp } from '../composition.ts';

/** Scheduled: publishes whatever the fast path left in the outbox (EventBridge down, a crash right after a commit). */
export const handler = async () => {
  const report = await (await paymentsApp()).relay();
  logger.debug('outbox relayed', { report });
  return report;
};
