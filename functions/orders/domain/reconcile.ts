import { isSettled, type Order } from './order.ts';
import { applyCommand, compensationName, type OrdersDeps, sagaInputOf } from './orders.ts';
import type { ExecutionStatus } from './ports.ts';

/** Reconciler actions on one order before it marks the order NEEDS_ATTENTION instead. */
export const MAX_RECONCILE_ATTEMPTS = 3;

export type ReconcileAction =
  | { kind: 'wait' }
  /** The forward execution is gone (an offline restart loses them): start it again; every task is idempotent. */
  | { kind: 'restart' }
  /** Undo what may have happened: refund, release, cancel, through the compensation-only execution. */
  | { kind: 'compensate'; reason: string }
  | { kind: 'needs-attention'; error: string };

const ended = (s: ExecutionStatus) => s === 'SUCCEEDED' || s === 'FAILED' || s === 'TIMED_OUT' || s === 'ABORTED';

/**
 * What to do with an order the saga should have settled, given its executions. Pure: the unit tests walk the table.
 * Anything still running is left alone; a compensation that ended without settling the order needs a person.
 */
export function decideReconciliation(
  order: Pick<Order, 'status' | 'cancelRequestedAt'>,
  forward: ExecutionStatus,
  compensation: ExecutionStatus,
  attempts: number,
): ReconcileAction {
  if (isSettled(order)) return { kind: 'wait' };
  if (forward === 'RUNNING' && order.status !== 'CONFIRMED') return { kind: 'wait' };
  if (compensation === 'RUNNING') return { kind: 'wait' };
  if (ended(compensation))
    return {
      kind: 'needs-attention',
      error: `The compensation execution ended ${compensation} and left the order ${order.status}`,
    };
  if (attempts >= MAX_RECONCILE_ATTEMPTS)
    return { kind: 'needs-attention', error: `The reconciler tried ${attempts} times; the order is still ${order.status}` };
  if (order.cancelRequestedAt) return { kind: 'compensate', reason: 'CUSTOMER_CANCELLED' };
  if (forward === 'NOT_FOUND') return { kind: 'restart' };
  return { kind: 'compensate', reason: 'SAGA_FAILED' };
}

export interface ReconcileReport {
  checked: number;
  restarted: number;
  compensated: number;
  needsAttention: number;
  failed: number;
}

/** Scheduled: drives every order whose execution is gone or failed to an end, in AWS and offline. */
export async function reconcileOrders(
  deps: OrdersDeps,
  options: { graceSeconds: number; limit?: number },
): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, restarted: 0, compensated: 0, needsAttention: 0, failed: 0 };
  const before = new Date(deps.clock.now().getTime() - options.graceSeconds * 1000);
  for (const candidate of await deps.orders.unsettledSince(before, options.limit ?? 50)) {
    report.checked++;
    try {
      const [forward, compensation] = await Promise.all([
        deps.saga.describe(candidate.id),
        deps.saga.describe(compensationName(candidate.id)),
      ]);
      // Read after describing: an execution that had ended has written all it will, so an order its last task just
      // settled is seen settled here (read before, a confirm landing in between would look like a failed saga).
      const order = await deps.orders.find(candidate.id);
      if (!order || isSettled(order)) continue;
      const action = decideReconciliation(order, forward, compensation, order.reconcileAttempts);
      if (action.kind === 'wait') continue;
      if (action.kind === 'needs-attention') {
        await applyCommand(deps, order.id, { type: 'MarkNeedsAttention', error: action.error }, 'reconciler');
        report.needsAttention++;
        continue;
      }
      await deps.orders.countReconcileAttempt(order.id);
      if (action.kind === 'restart') {
        await deps.saga.start(order.id, sagaInputOf(order));
        report.restarted++;
      } else {
        await deps.saga.start(compensationName(order.id), sagaInputOf(order, { reason: action.reason }));
        report.compensated++;
      }
    } catch {
      report.failed++;
    }
  }
  return report;
}
