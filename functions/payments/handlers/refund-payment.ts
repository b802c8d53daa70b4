import { sagaTask } from '../../../shared/saga-task.ts';
import { paymentsApp } from '../composition.ts';
import { CompensateOrder, compensatePayment } from '../domain/payments.ts';

/** Saga compensation RefundPayment: refunds captured minus refunded for the order; a no-op when nothing was captured. */
export const handler = sagaTask(CompensateOrder, async (input, correlationId) =>
  compensatePayment(await paymentsApp(), input, correlationId),
);
