import { sagaTask } from '../../../shared/saga-task.ts';
import { ordersApp } from '../composition.ts';
import { applyCommand } from '../domain/orders.ts';
import { OrderTask, taskResult } from './saga-inputs.ts';

export const handler = sagaTask(OrderTask, async ({ orderId }) =>
  taskResult(await applyCommand(await ordersApp(), orderId, { type: 'RecordInventoryReserved' }, 'saga')),
);
