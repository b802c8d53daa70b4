import * as z from 'zod';
import { cachedOnce } from '../../shared/cache.ts';
import { serviceConfig } from '../../shared/config.ts';
import { type Pool, poolFor } from '../../shared/db/postgres.ts';
import '../../shared/events/payments.ts';
import { relayAfterCommit, relayOutbox } from '../../shared/events/outbox.ts';
import { EventBridgePublisher, type EventPublisher } from '../../shared/events/publisher.ts';
import { type ResilienceOptions, type Resilient, resilient } from '../../shared/resilience.ts';
import type { PaymentsDeps } from './domain/payments.ts';
import { type Clock, systemClock } from './domain/ports.ts';
import { HttpPaymentProcessor, isTransientProcessorError } from './store/http-processor.ts';
import { PgPaymentStore } from './store/pg-payments.ts';

const PaymentsEnv = z.object({
  /** The processor's base URL: offline the runtime's processor port, in AWS its Lambda Function URL. */
  PAYMENT_PROCESSOR_URL: z.string().url(),
  PAYMENT_PROCESSOR_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  PAYMENT_PROCESSOR_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  PAYMENT_PROCESSOR_BACKOFF_MS: z.coerce.number().int().positive().default(100),
  PAYMENT_PROCESSOR_BREAKER_FAILURES: z.coerce.number().int().positive().default(5),
  PAYMENT_PROCESSOR_HALF_OPEN_MS: z.coerce.number().int().positive().default(10_000),
});

export type ProcessorPolicy = Pick<ResilienceOptions, 'timeoutMs' | 'maxRetries' | 'backoff' | 'breaker'>;

export function processorPolicy(): ProcessorPolicy {
  const env = serviceConfig(PaymentsEnv);
  return {
    timeoutMs: env.PAYMENT_PROCESSOR_TIMEOUT_MS,
    maxRetries: env.PAYMENT_PROCESSOR_RETRIES,
    backoff: { initialMs: env.PAYMENT_PROCESSOR_BACKOFF_MS, maxMs: env.PAYMENT_PROCESSOR_BACKOFF_MS * 10 },
    breaker: { consecutiveFailures: env.PAYMENT_PROCESSOR_BREAKER_FAILURES, halfOpenAfterMs: env.PAYMENT_PROCESSOR_HALF_OPEN_MS },
  };
}

export type PaymentsApp = PaymentsDeps & { pool: Pool; breaker: Resilient; relay(): Promise<unknown> };

export function buildPaymentsApp(options: {
  pool: Pool;
  processorUrl: string;
  publisher: EventPublisher;
  policy: ProcessorPolicy;
  clock?: Clock;
}): PaymentsApp {
  const breaker = resilient({
    service: 'payments',
    dependency: 'PaymentProcessor',
    isTransient: isTransientProcessorError,
    ...options.policy,
  });
  return {
    pool: options.pool,
    payments: new PgPaymentStore(options.pool, relayAfterCommit(options.pool, options.publisher)),
    processor: new HttpPaymentProcessor(options.processorUrl, breaker),
    clock: options.clock ?? systemClock,
    breaker,
    relay: () => relayOutbox(options.pool, options.publisher),
  };
}

/** Built once per container: the pool and the breaker (its state lives as long as the container) are reused. */
export const paymentsApp = cachedOnce(async (): Promise<PaymentsApp> => {
  const env = serviceConfig(PaymentsEnv);
  return buildPaymentsApp({
    pool: await poolFor('payments'),
    processorUrl: env.PAYMENT_PROCESSOR_URL,
    publisher: new EventBridgePublisher(),
    policy: processorPolicy(),
  });
});
