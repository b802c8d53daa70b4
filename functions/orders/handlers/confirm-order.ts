import { countMetric } from '../../../shared/observability.ts';
import { ordersApp } from '../composition.ts';
import { applyCommand } from '../domain/orders.ts';
import { OrderTask, taskResult } from './saga-inputs.ts';
import { sagaTask } from './saga-task.ts';

/** Throws OrderCancelled when a cancel came first: the saga then refunds, releases and cancels. */
export const handler = sagaTask(OrderTask, async ({ orderId }) => {
  const order = await applyCommand(await ordersApp(), orderId, { type: 'Confirm' }, 'saga');
  countMetric('orders', 'OrderConfirmed');
  return taskResult(order);
});
