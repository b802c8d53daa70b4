import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { Money } from '../../../shared/money.ts';
import type { DeclineReason } from './errors.ts';

/**
 * The processor port: the payments domain talks to "a processor", never to HTTP. Every write carries an idempotency
 * key, so a retry (ours, or the saga's) can never charge or refund twice. Transient failures (timeout, 5xx, connection,
 * open breaker) throw PaymentProcessorUnavailable; business answers are results.
 */
export interface PaymentProcessor {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
  /** What the processor holds for an order (to settle a payment whose charge answer never came). */
  chargesForOrder(orderId: string): Promise<ProcessorCharge[]>;
}

export interface ChargeRequest {
  idempotencyKey: string;
  orderId: string;
  amount: Money;
  /** The client's payment-method token: passed through, never stored or logged. */
  paymentMethod: string;
}
export type ChargeResult =
  | { outcome: 'captured'; chargeId: string; brand: string; last4: string }
  | { outcome: 'declined'; reason: DeclineReason; chargeId: string | null };

export interface RefundRequest {
  idempotencyKey: string;
  chargeId: string;
  amount: Money;
}
export type RefundResult = { outcome: 'refunded'; refundId: string } | { outcome: 'rejected'; reason: string };

export interface ProcessorCharge {
  chargeId: string;
  orderId: string | null;
  amount: Money;
  status: 'succeeded' | 'failed';
  refunded: number;
  brand: string;
  last4: string;
}

/** Stored status; `captured` payments show as refunded / partially refunded from their refunded amount. */
export type StoredStatus = 'pending' | 'captured' | 'failed' | 'voided';
export type PaymentStatus = Exclude<StoredStatus, 'captured'> | 'captured' | 'partially_refunded' | 'refunded';

export interface Payment {
  id: string;
  orderId: string;
  userId: string;
  amount: Money;
  status: StoredStatus;
  capturedAmount: number;
  refundedAmount: number;
  /** Refunds asked for and not yet answered by the processor: held back from what can still be refunded. */
  refundReserved: number;
  processorChargeId: string | null;
  card: { brand: string; last4: string } | null;
  failureReason: DeclineReason | null;
  createdAt: string;
  updatedAt: string;
}

export type RefundStatus = 'pending' | 'succeeded' | 'failed';
export interface Refund {
  id: string;
  paymentId: string;
  idempotencyKey: string;
  amount: Money;
  reason: string;
  status: RefundStatus;
  processorRefundId: string | null;
  failureReason: string | null;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface PaymentFilter {
  status?: PaymentStatus;
  userId?: string;
  orderId?: string;
  createdFrom?: string;
  createdTo?: string;
  after?: { createdAt: string; id: string };
  limit: number;
}

/** Events are built inside the store's transaction, from the row as it is written, and go to the outbox with it. */
export type EventsFor<T> = (value: T) => EventEnvelope[];

/**
 * Payments in PostgreSQL. Every method is one transaction holding the payment row (FOR UPDATE) and writing the
 * append-only ledger and the outbox with it.
 */
export interface PaymentStore {
  /** The order's payment: the one given (inserted, with its events; voided, without, if the order was compensated first) or the one already there. */
  startPayment(candidate: Payment, events: EventsFor<Payment>): Promise<Payment>;
  /** A charge the processor made: ledger `charge` + status captured. A payment already captured is returned as is. */
  recordCapture(
    paymentId: string,
    capture: { chargeId: string; brand: string; last4: string },
    at: string,
    events: EventsFor<Payment>,
  ): Promise<{ payment: Payment; wasVoided: boolean }>;
  /** A declined charge: ledger `failed_charge` + status failed, only while pending. */
  recordDecline(
    paymentId: string,
    decline: { reason: DeclineReason; chargeId: string | null },
    at: string,
    events: EventsFor<Payment>,
  ): Promise<Payment>;
  /**
   * The order's payment; with none yet, a tombstone instead (null), so a later startPayment makes it voided, never pending.
   * Serialised with startPayment per order.
   */
  voidUnstartedOrder(orderId: string, reason: string, at: string): Promise<Payment | null>;
  /** pending -> voided (the saga compensated before any charge landed); anything else is returned unchanged. */
  voidPending(paymentId: string, at: string): Promise<Payment>;
  /**
   * Holds `amount` (or everything refundable when absent) of a captured payment for a refund under this key; the same
   * key again answers the refund it made. Throws RefundExceedsCaptured / PaymentNotCaptured / IdempotencyMismatch.
   */
  reserveRefund(
    paymentId: string,
    request: { id: string; idempotencyKey: string; amount?: number; reason: string; requestedBy: string; at: string },
  ): Promise<Refund>;
  /** pending -> succeeded: ledger `refund`, the hold becomes refunded. Idempotent. */
  completeRefund(
    refundId: string,
    processorRefundId: string,
    at: string,
    events: EventsFor<{ payment: Payment; refund: Refund }>,
  ): Promise<{ payment: Payment; refund: Refund }>;
  /** pending -> failed: the hold is released. */
  failRefund(refundId: string, reason: string, at: string): Promise<Refund>;
  findById(id: string): Promise<Payment | null>;
  findByOrder(orderId: string): Promise<Payment | null>;
  refundsOf(paymentId: string): Promise<Refund[]>;
  /** Refunds still pending that were asked for before `before`, oldest first. */
  pendingRefunds(before: string, limit: number): Promise<Refund[]>;
  list(filter: PaymentFilter): Promise<Payment[]>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
