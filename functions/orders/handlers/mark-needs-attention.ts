import { countMetric, metrics, metricsEnabled } from '../../../shared/observability.ts';
import { ordersApp } from '../composition.ts';
import { applyCommand } from '../domain/orders.ts';
import { NeedsAttentionTask, taskResult } from './saga-inputs.ts';
import { sagaTask } from './saga-task.ts';

/** A compensation failed after its retries: a person must look. The metric feeds the NEEDS_ATTENTION alarm. */
export const handler = sagaTask(NeedsAttentionTask, async ({ orderId, error }) => {
  const text = typeof error === 'string' ? error : [error.Error, error.Cause].filter(Boolean).join(': ');
  const order = await applyCommand(
    await ordersApp(),
    orderId,
    { type: 'MarkNeedsAttention', error: (text || 'compensation failed').slice(0, 500) },
    'saga',
  );
  countMetric('orders', 'OrderNeedsAttention');
  if (metricsEnabled()) metrics.publishStoredMetrics();
  return taskResult(order);
});
