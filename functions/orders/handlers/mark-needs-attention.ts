import { countMetric } from '../../../shared/observability.ts';
import { sagaTask } from '../../../shared/saga-task.ts';
import { ordersApp } from '../composition.ts';
import { applyChange } from '../domain/orders.ts';
import { NeedsAttentionTask, taskResult } from './saga-inputs.ts';

/** A compensation failed after its retries: a person must look. The metric feeds the NEEDS_ATTENTION alarm. */
export const handler = sagaTask(NeedsAttentionTask, async ({ orderId, error }) => {
  const text = typeof error === 'string' ? error : [error.Error, error.Cause].filter(Boolean).join(': ');
  const { order, changed } = await applyChange(
    await ordersApp(),
    orderId,
    { type: 'MarkNeedsAttention', error: (text || 'compensation failed').slice(0, 500) },
    'saga',
  );
  if (changed) countMetric('orders', 'OrderNeedsAttention');
  return taskResult(order);
});
