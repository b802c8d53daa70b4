import { countMetric } from '../../../shared/observability.ts';
import { sagaTask } from '../../../shared/saga-task.ts';
import { ordersApp } from '../composition.ts';
import { applyChange } from '../domain/orders.ts';
import { CancelTask, taskResult } from './saga-inputs.ts';

/** The last compensation: the order ends CANCELLED with the reason and order.cancelled goes out (once). */
export const handler = sagaTask(CancelTask, async ({ orderId, reason, cancel }) => {
  const refunded = Boolean(cancel?.refund?.refunded?.amount);
  const { order, changed } = await applyChange(await ordersApp(), orderId, { type: 'Cancel', reason, refunded }, 'saga');
  if (changed) countMetric('orders', 'OrderCancelled');
  return taskResult(order);
});
