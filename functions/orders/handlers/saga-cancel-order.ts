import { countMetric } from '../../../shared/observability.ts';
import { ordersApp } from '../composition.ts';
import { applyCommand } from '../domain/orders.ts';
import { CancelTask, taskResult } from './saga-inputs.ts';
import { sagaTask } from './saga-task.ts';

/** The last compensation: the order ends CANCELLED with the reason and order.cancelled goes out (once). */
export const handler = sagaTask(CancelTask, async ({ orderId, reason }) => {
  const order = await applyCommand(await ordersApp(), orderId, { type: 'Cancel', reason }, 'saga');
  countMetric('orders', 'OrderCancelled');
  return taskResult(order);
});
