import { sagaTask } from '../../../shared/saga-task.ts';
import { ordersApp } from '../composition.ts';
import { applyCommand } from '../domain/orders.ts';
import { PaymentCompletedTask, taskResult } from './saga-inputs.ts';

export const handler = sagaTask(PaymentCompletedTask, async ({ orderId, paymentId }) =>
  taskResult(await applyCommand(await ordersApp(), orderId, { type: 'RecordPaymentCompleted', paymentId }, 'saga')),
);
