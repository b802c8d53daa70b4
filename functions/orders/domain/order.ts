import type { Money } from '../../../shared/money.ts';

/** Where an order is in its saga. CONFIRMED, CANCELLED and NEEDS_ATTENTION end it (a cancel after CONFIRMED reopens it). */
export const ORDER_STATUSES = [
  'PENDING',
  'INVENTORY_RESERVED',
  'PAYMENT_COMPLETED',
  'CONFIRMED',
  'CANCELLED',
  'NEEDS_ATTENTION',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses the saga is still working on: the reconciler watches orders in them. */
export const IN_FLIGHT: readonly OrderStatus[] = ['PENDING', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED'];

/** Why an order was cancelled; the saga passes one of these to CancelOrder. */
export const CANCEL_REASONS = [
  'INSUFFICIENT_STOCK',
  'PAYMENT_DECLINED',
  'INSUFFICIENT_FUNDS',
  'PAYMENT_FAILED',
  'CONFIRMATION_FAILED',
  'CUSTOMER_CANCELLED',
  'SAGA_FAILED',
] as const;

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
}

/** One entry of an order's history: a status change or a cancel request, with its reason, time and who caused it. */
export interface StatusChange {
  status: OrderStatus;
  reason: string | null;
  at: string;
  by: 'customer' | 'saga' | 'reconciler';
}

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  lines: OrderLine[];
  total: Money;
  paymentMethod: string;
  paymentId: string | null;
  cancelReason: string | null;
  /** Set when the customer asked to cancel while the saga was running or after confirmation. */
  cancelRequestedAt: string | null;
  /** When the outbox relay started the saga (null: not yet). */
  sagaStartedAt: string | null;
  /** Actions the reconciler took on the order (it marks NEEDS_ATTENTION after a few). */
  reconcileAttempts: number;
  correlationId: string;
  createdAt: string;
  updatedAt: string;
  history: StatusChange[];
}

/** What the listing (GET /orders/user/{userId}) shows per order; kept in its own table by every change. */
export interface OrderSummary {
  id: string;
  status: OrderStatus;
  total: Money;
  lineCount: number;
  units: number;
  createdAt: string;
  updatedAt: string;
}

export const summaryOf = (order: Pick<Order, 'id' | 'status' | 'total' | 'lines' | 'createdAt' | 'updatedAt'>): OrderSummary => ({
  id: order.id,
  status: order.status,
  total: order.total,
  lineCount: order.lines.length,
  units: order.lines.reduce((n, l) => n + l.quantity, 0),
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
});

/** Whether nothing more will happen to the order on its own. */
export function isSettled(order: Pick<Order, 'status' | 'cancelRequestedAt'>): boolean {
  if (order.status === 'CONFIRMED') return order.cancelRequestedAt === null;
  return order.status === 'CANCELLED' || order.status === 'NEEDS_ATTENTION';
}
