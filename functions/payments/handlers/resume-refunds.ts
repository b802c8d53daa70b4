import { logger } from '../../../shared/observability.ts';
import { paymentsApp } from '../composition.ts';
import { resumePendingRefunds } from '../domain/payments.ts';

/** Refunds held for over a minute are resumed: a caller whose attempt met an unavailable processor may never come back. */
const PENDING_FOR_MS = 60_000;

export const handler = async () => {
  const app = await paymentsApp();
  const report = await resumePendingRefunds(app, new Date(app.clock.now().getTime() - PENDING_FOR_MS));
  if (report.completed || report.stillPending || report.rejected) logger.info('pending refunds resumed', { ...report });
  return report;
};
