import { IllegalTransition, OrderCancelled } from './errors.ts';
import type { Order, OrderStatus, StatusChange } from './order.ts';

/** Everything that may happen to an order, from the customer, the saga or the reconciler. */
export type OrderCommand =
  | { type: 'RecordInventoryReserved' }
  | { type: 'RecordPaymentCompleted'; paymentId: string }
  | { type: 'Confirm' }
  /** The saga's compensation (or the reconciler) ends the order; `refunded` when money went back. */
  | { type: 'Cancel'; reason: string; refunded?: boolean }
  /** The customer asks to cancel. */
  | { type: 'RequestCancel' }
  | { type: 'MarkNeedsAttention'; error: string };

export type Actor = StatusChange['by'];

/** The result of a command: a change to write, nothing (a repeat), or a refusal. */
export type Decision =
  | {
      kind: 'change';
      status: OrderStatus;
      reason: string | null;
      paymentId?: string;
      cancelRequested?: true;
      /** The saga is running or done: a cancel only marks intent; after CONFIRMED a compensation must be started. */
      startCompensation?: true;
    }
  | { kind: 'unchanged' }
  | { kind: 'refused'; error: IllegalTransition | OrderCancelled };

type State = Pick<Order, 'id' | 'status' | 'cancelRequestedAt' | 'sagaStartedAt'>;

const FORWARD: OrderStatus[] = ['PENDING', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED', 'CONFIRMED'];
const stepOf = (status: OrderStatus) => FORWARD.indexOf(status);
/** The history's reason for each forward step: what the saga had just done. */
const FORWARD_REASON: Partial<Record<OrderStatus, string>> = {
  INVENTORY_RESERVED: 'STOCK_RESERVED',
  PAYMENT_COMPLETED: 'PAYMENT_CAPTURED',
  CONFIRMED: 'STOCK_COMMITTED',
};

/**
 * The one rule book of order statuses, a pure function: every path (HTTP, saga tasks, reconciler) asks it and writes
 * what it says, inside the transaction that locked the order. Saga steps are idempotent: an order already at or past a
 * step answers `unchanged`, so a retried or re-run task is harmless.
 */
export function decide(order: State, command: OrderCommand): Decision {
  const refuse = (): Decision => ({ kind: 'refused', error: new IllegalTransition(order.id, order.status, command.type) });
  const cancelled = (): Decision => ({ kind: 'refused', error: new OrderCancelled(order.id) });
  const forward = (to: OrderStatus, extra: Partial<Extract<Decision, { kind: 'change' }>> = {}): Decision => {
    // A cancel came first: the saga compensates from this step (its Catch on OrderCancelled), nothing more goes forward.
    if (order.status === 'CANCELLED' || order.cancelRequestedAt) return cancelled();
    if (order.status === 'NEEDS_ATTENTION') return refuse();
    const at = stepOf(order.status);
    if (at >= stepOf(to)) return { kind: 'unchanged' };
    if (at !== stepOf(to) - 1) return refuse();
    return { kind: 'change', status: to, reason: FORWARD_REASON[to] ?? null, ...extra };
  };

  switch (command.type) {
    case 'RecordInventoryReserved':
      return forward('INVENTORY_RESERVED');
    case 'RecordPaymentCompleted':
      return forward('PAYMENT_COMPLETED', { paymentId: command.paymentId });
    case 'Confirm':
      return forward('CONFIRMED');
    case 'Cancel': {
      if (order.status === 'CANCELLED') return { kind: 'unchanged' };
      // The customer's wish is the reason whatever step of the compensation the saga was in when it got there.
      const reason = order.cancelRequestedAt ? 'CUSTOMER_CANCELLED' : command.reason;
      return { kind: 'change', status: 'CANCELLED', reason };
    }
    case 'RequestCancel':
      if (order.status === 'CANCELLED' || order.cancelRequestedAt) return { kind: 'unchanged' };
      if (order.status === 'NEEDS_ATTENTION') return refuse();
      // Nothing happened yet outside this database: the order just ends, and the relay never starts its saga.
      if (order.status === 'PENDING' && !order.sagaStartedAt)
        return { kind: 'change', status: 'CANCELLED', reason: 'CUSTOMER_CANCELLED' };
      if (order.status === 'CONFIRMED')
        return {
          kind: 'change',
          status: 'CONFIRMED',
          reason: 'CANCEL_REQUESTED',
          cancelRequested: true,
          startCompensation: true,
        };
      // The saga's next orders task refuses with OrderCancelled and the saga compensates from there.
      return { kind: 'change', status: order.status, reason: 'CANCEL_REQUESTED', cancelRequested: true };
    case 'MarkNeedsAttention':
      if (order.status === 'NEEDS_ATTENTION') return { kind: 'unchanged' };
      if (order.status === 'CANCELLED') return refuse();
      return { kind: 'change', status: 'NEEDS_ATTENTION', reason: command.error };
  }
}
