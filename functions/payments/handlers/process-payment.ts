import { sagaTask } from '../../../shared/saga-task.ts';
import { paymentsApp } from '../composition.ts';
import { ChargeOrder, processPayment } from '../domain/payments.ts';

/** Saga task ProcessPayment: {paymentId, status: 'captured', brand, last4}, or PaymentDeclined / PaymentProcessorUnavailable. */
export const handler = sagaTask(ChargeOrder, async (input, correlationId) =>
  processPayment(await paymentsApp(), input, correlationId),
);
