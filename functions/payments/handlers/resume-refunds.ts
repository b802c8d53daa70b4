import { logger } from '../../../shared/observability.ts';
import { paymentsApp } from '../composition.ts';
import { resumePendingRefunds, settleVoidedPayments } from '../domain/payments.ts';

/** Refunds held for over a minute are resumed: a caller whose attempt met an unavailable processor may never come back. */
const PENDING_FOR_MS = 60_000;
/** Voided payments of the last day are checked for a charge that landed after the void (a late processor answer). */
const VOIDED_WITHIN_MS = 24 * 60 * 60_000;

export const handler = async () => {
  const app = await paymentsApp();
  const now = app.clock.now().getTime();
  const report = await resumePendingRefunds(app, new Date(now - PENDING_FOR_MS));
  if (report.completed || report.stillPending || report.rejected) logger.info('pending refunds resumed', { ...report });
  const voided = await settleVoidedPayments(app, new Date(now - VOIDED_WITHIN_MS));
  if (voided.refunded) logger.warn('late charges on voided payments refunded', { ...voided });
  return { ...report, lateChargesRefunded: voided.refunded };
};
