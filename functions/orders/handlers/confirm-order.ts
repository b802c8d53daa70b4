import { countMetric } from '../../../shared/observability.ts';
import { sagaTask } from '../../../shared/saga-task.ts';
import { ordersApp } from '../composition.ts';
import { applyChange } from '../domain/orders.ts';
import { OrderTask, taskResult } from './saga-inputs.ts';

/** Throws OrderCancelled when a cancel came first: the saga then refunds, releases and cancels. */
export const handler = sagaTask(OrderTask, async ({ orderId }) => {
  const { order, changed } = await applyChange(await ordersApp(), orderId, { type: 'Confirm' }, 'saga');
  if (changed) countMetric('orders', 'OrderConfirmed');
  return taskResult(order);
});
