import type * as z from 'zod';
import { ValidationFailed } from './errors.ts';
import { zodIssues } from './http/errors.ts';
import { logger, metrics, metricsEnabled } from './observability.ts';

/**
 * A Step Functions task handler: input validated with zod, plain JSON out. Errors keep their class name (`PaymentDeclined`,
 * `PaymentProcessorUnavailable`, ...), which is what the state machine's Retry and Catch match. The input is never
 * logged (it may carry a payment-method token). Business metrics are flushed per invocation, as the HTTP stack does.
 */
export function sagaTask<S extends z.ZodType, R>(schema: S, fn: (input: z.infer<S>, correlationId: string) => Promise<R>) {
  return async (event: unknown): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) throw new ValidationFailed('Invalid saga task input', zodIssues(parsed.error));
    const given = (event as { correlationId?: unknown }).correlationId;
    const orderId = (parsed.data as { orderId?: string }).orderId ?? 'unknown';
    const correlationId = typeof given === 'string' && given ? given : orderId;
    logger.appendKeys({ correlationId, orderId });
    try {
      return await fn(parsed.data, correlationId);
    } catch (error) {
      logger.info('saga task failed', { error: error as Error });
      throw error;
    } finally {
      logger.removeKeys(['correlationId', 'orderId']);
      if (metricsEnabled()) metrics.publishStoredMetrics();
    }
  };
}
