import * as z from 'zod';
import { cursorId, decodeCursor, encodeCursor } from '../../../shared/cursor.ts';
import { NotFound } from '../../../shared/errors.ts';
import { createEvent } from '../../../shared/events/envelope.ts';
import type { Principal } from '../../../shared/http/handler.ts';
import { newId } from '../../../shared/ids.ts';
import { Money } from '../../../shared/money.ts';
import { countMetric } from '../../../shared/observability.ts';
import { IdempotencyMismatch, PaymentDeclined, PaymentProcessorUnavailable, RefundRejected } from './errors.ts';
import type { Clock, Payment, PaymentFilter, PaymentProcessor, PaymentStatus, PaymentStore, Refund } from './ports.ts';

export interface PaymentsDeps {
  payments: PaymentStore;
  processor: PaymentProcessor;
  clock: Clock;
}

const SOURCE = 'payments';
const Id = z.string().min(1).max(100);

/** ProcessPayment's input (saga contract). The payment method is a processor token; it is never stored or logged. */
export const ChargeOrder = z.object({
  orderId: Id,
  userId: Id,
  amount: Money.extend({ amount: z.number().int().positive().max(1_000_000_000_00) }),
  paymentMethod: z
    .string()
    .min(1)
    .max(200)
    .regex(/^pm_[A-Za-z0-9_]+$/, 'a payment-method token'),
  correlationId: z.string().min(1).max(200).optional(),
});
export type ChargeOrder = z.infer<typeof ChargeOrder>;

/** RefundPayment's input (saga contract). */
export const CompensateOrder = z.object({ orderId: Id, reason: z.string().min(1).max(100) });
export type CompensateOrder = z.infer<typeof CompensateOrder>;

export interface ChargeOutcome {
  paymentId: string;
  status: 'captured';
  brand: string;
  last4: string;
}

/** One charge per order at the processor too: every attempt for the order reuses this key. */
export const chargeKey = (orderId: string) => `order_${orderId}_charge`;
const processorRefundKey = (refundId: string) => `refund_${refundId}`;
/** The saga's compensation is one refund per payment, whichever attempt makes it. The '/' keeps it out of the
 * Idempotency-Keys an admin may send (IdempotencyHeaders), so an admin refund is never taken for it. */
const COMPENSATION_KEY = 'saga/compensation';

const iso = (clock: Clock) => clock.now().toISOString();

const paymentData = (p: Payment) => ({ paymentId: p.id, orderId: p.orderId, userId: p.userId, amount: p.amount });

/**
 * ProcessPayment: charges the order once, however often it is called, concurrently or after a timeout. The payment row
 * is claimed first (one per order), then the processor is asked under the order's idempotency key, so every attempt
 * gets the one charge back; the first to record it wins, the rest read it.
 */
export async function processPayment(deps: PaymentsDeps, input: ChargeOrder, correlationId: string): Promise<ChargeOutcome> {
  const now = iso(deps.clock);
  const candidate: Payment = {
    id: newId('pay', deps.clock.now().getTime()),
    orderId: input.orderId,
    userId: input.userId,
    amount: input.amount,
    status: 'pending',
    capturedAmount: 0,
    refundedAmount: 0,
    refundReserved: 0,
    processorChargeId: null,
    card: null,
    failureReason: null,
    createdAt: now,
    updatedAt: now,
  };
  const payment = await deps.payments.startPayment(candidate, (p) => [
    createEvent(SOURCE, 'payment.initiated', paymentData(p), correlationId),
  ]);
  if (
    payment.userId !== input.userId ||
    payment.amount.amount !== input.amount.amount ||
    payment.amount.currency !== input.amount.currency
  )
    throw new IdempotencyMismatch('This order already has a payment for another user or amount', { orderId: input.orderId });
  if (payment.status === 'captured') return outcomeOf(payment);
  if (payment.status === 'failed') throw new PaymentDeclined(payment.failureReason ?? 'card_declined');
  if (payment.status === 'voided') throw new PaymentDeclined('payment_voided');

  let result: Awaited<ReturnType<PaymentProcessor['charge']>>;
  try {
    result = await deps.processor.charge({
      idempotencyKey: chargeKey(input.orderId),
      orderId: input.orderId,
      amount: input.amount,
      paymentMethod: input.paymentMethod,
    });
  } catch (error) {
    if (error instanceof PaymentProcessorUnavailable) countMetric(SOURCE, 'PaymentProcessorUnavailable');
    throw error;
  }
  if (result.outcome === 'captured') {
    const captured = await capture(deps, payment, result, correlationId);
    return outcomeOf(captured);
  }
  const failed = await deps.payments.recordDecline(payment.id, result, iso(deps.clock), (p) => [
    createEvent(SOURCE, 'payment.failed', { ...paymentData(p), reason: result.reason }, correlationId),
  ]);
  countMetric(SOURCE, 'PaymentFailed');
  if (failed.status === 'captured') return outcomeOf(failed);
  throw new PaymentDeclined(failed.failureReason ?? result.reason);
}

/** Records a charge the processor made. One that lands after the saga voided the payment is refunded at once. */
async function capture(
  deps: PaymentsDeps,
  payment: Payment,
  charge: { chargeId: string; brand: string; last4: string },
  correlationId: string,
): Promise<Payment> {
  const { payment: captured, wasVoided } = await deps.payments.recordCapture(payment.id, charge, iso(deps.clock), (p) => [
    createEvent(SOURCE, 'payment.completed', { ...paymentData(p), brand: charge.brand, last4: charge.last4 }, correlationId),
  ]);
  if (!wasVoided) {
    countMetric(SOURCE, 'PaymentCaptured');
    return captured;
  }
  await refund(
    deps,
    captured,
    { idempotencyKey: COMPENSATION_KEY, reason: 'late charge on a voided payment', requestedBy: 'saga' },
    correlationId,
  );
  throw new PaymentDeclined('payment_voided');
}

const outcomeOf = (p: Payment): ChargeOutcome => ({
  paymentId: p.id,
  status: 'captured',
  brand: p.card?.brand ?? 'unknown',
  last4: p.card?.last4 ?? '0000',
});

export interface CompensationOutcome {
  orderId: string;
  paymentId: string | null;
  /** What this compensation gave back (null: nothing was captured, or everything was already refunded). */
  refunded: Money | null;
}

/**
 * RefundPayment: gives back whatever was captured for the order and not yet refunded; a no-op when nothing was (with no
 * payment at all, it leaves a tombstone so a later ProcessPayment for the order is voided instead of charging).
 * A payment whose charge answer never came is settled with the processor first: a charge that landed is recorded and
 * refunded, otherwise the payment is voided so a late attempt cannot charge it.
 */
export async function compensatePayment(
  deps: PaymentsDeps,
  input: CompensateOrder,
  correlationId: string,
): Promise<CompensationOutcome> {
  // No payment yet: a tombstone, so a ProcessPayment still on its way (timed out by the saga, not stopped) cannot charge.
  let payment = await deps.payments.voidUnstartedOrder(input.orderId, input.reason, iso(deps.clock));
  if (!payment) return { orderId: input.orderId, paymentId: null, refunded: null };
  if (payment.status === 'pending') {
    const landed = (await deps.processor.chargesForOrder(input.orderId)).find((c) => c.status === 'succeeded');
    if (landed) {
      payment = (
        await deps.payments.recordCapture(payment.id, landed, iso(deps.clock), (p) => [
          createEvent(
            SOURCE,
            'payment.completed',
            { ...paymentData(p), brand: landed.brand, last4: landed.last4 },
            correlationId,
          ),
        ])
      ).payment;
    } else payment = await deps.payments.voidPending(payment.id, iso(deps.clock));
  }
  if (payment.status === 'captured' && payment.refundReserved > 0) {
    // Another refund still in flight is settled first: refused later, its held amount would stay with a cancelled order.
    const inFlight = (await deps.payments.refundsOf(payment.id)).filter(
      (r) => r.status === 'pending' && r.requestedBy !== 'saga',
    );
    for (const held of inFlight) {
      try {
        await askForRefund(deps, payment.processorChargeId!, held, correlationId);
      } catch (error) {
        if (!(error instanceof RefundRejected)) throw error;
      }
    }
    if (inFlight.length) payment = (await deps.payments.findById(payment.id))!;
  }
  const refundable = payment.capturedAmount - payment.refundedAmount - payment.refundReserved;
  const compensations = (await deps.payments.refundsOf(payment.id)).filter(
    (r) => r.requestedBy === 'saga' && r.idempotencyKey.startsWith(COMPENSATION_KEY),
  );
  // A refused compensation refund gave nothing back: the next run asks again under a key of its own (same on every retry).
  const refused = compensations.filter((r) => r.status === 'failed').length;
  const key = refused ? `${COMPENSATION_KEY}-${refused}` : COMPENSATION_KEY;
  const earlier = compensations.find((r) => r.idempotencyKey === key);
  const succeeded = compensations.find((r) => r.status === 'succeeded');
  if (payment.status !== 'captured' || (refundable <= 0 && earlier?.status !== 'pending'))
    return { orderId: input.orderId, paymentId: payment.id, refunded: succeeded?.amount ?? null };
  const made = await refund(
    deps,
    payment,
    { idempotencyKey: key, reason: `saga compensation: ${input.reason}`, requestedBy: 'saga' },
    correlationId,
  );
  if (made.status === 'failed') throw new RefundRejected(made.failureReason ?? 'refused');
  countMetric(SOURCE, 'PaymentCompensated');
  return { orderId: input.orderId, paymentId: payment.id, refunded: made.amount };
}

export interface RefundCommand {
  idempotencyKey: string;
  /** Minor units; absent: everything still refundable. */
  amount?: number;
  reason: string;
  requestedBy: string;
}

/**
 * A refund, full or partial. The amount is held on the payment row first (under its lock, so concurrent refunds can
 * never together exceed captured minus refunded), then the processor is asked under a key of this refund. A transient
 * failure keeps the hold; the same Idempotency-Key again resumes it.
 */
export async function refund(
  deps: PaymentsDeps,
  payment: Payment,
  command: RefundCommand,
  correlationId: string,
): Promise<Refund> {
  const held = await deps.payments.reserveRefund(payment.id, {
    id: newId('ref', deps.clock.now().getTime()),
    idempotencyKey: command.idempotencyKey,
    amount: command.amount,
    reason: command.reason,
    requestedBy: command.requestedBy,
    at: iso(deps.clock),
  });
  if (held.status !== 'pending') return held;
  // The hold proves the payment captured; `payment` may have been read before its capture was recorded.
  const chargeId = payment.processorChargeId ?? (await deps.payments.findById(payment.id))!.processorChargeId!;
  return askForRefund(deps, chargeId, held, correlationId);
}

/** The processor half of a refund held on our side: under the refund's own key, so asking again never refunds twice. */
async function askForRefund(deps: PaymentsDeps, chargeId: string, held: Refund, correlationId: string): Promise<Refund> {
  const result = await deps.processor.refund({
    idempotencyKey: processorRefundKey(held.id),
    chargeId,
    amount: held.amount,
  });
  if (result.outcome === 'rejected') {
    await deps.payments.failRefund(held.id, result.reason, iso(deps.clock));
    countMetric(SOURCE, 'RefundRejected');
    throw new RefundRejected(result.reason);
  }
  const done = await deps.payments.completeRefund(held.id, result.refundId, iso(deps.clock), ({ payment: p, refund: r }) => [
    createEvent(
      SOURCE,
      'payment.refunded',
      {
        paymentId: p.id,
        refundId: r.id,
        orderId: p.orderId,
        userId: p.userId,
        amount: r.amount,
        refundedTotal: { amount: p.refundedAmount, currency: p.amount.currency },
      },
      correlationId,
    ),
  ]);
  countMetric(SOURCE, 'PaymentRefunded');
  return done.refund;
}

/**
 * Scheduled: refunds still pending since before `olderThan` (the processor was unavailable and nobody retried the same
 * Idempotency-Key) are asked again, so no hold is left blocking a payment and no refund is half made.
 */
export async function resumePendingRefunds(
  deps: PaymentsDeps,
  olderThan: Date,
  limit = 20,
): Promise<{ completed: number; stillPending: number; rejected: number }> {
  const report = { completed: 0, stillPending: 0, rejected: 0 };
  for (const held of await deps.payments.pendingRefunds(olderThan.toISOString(), limit)) {
    const payment = await deps.payments.findById(held.paymentId);
    try {
      await askForRefund(deps, payment!.processorChargeId!, held, `resume-${held.id}`);
      report.completed++;
    } catch (error) {
      if (error instanceof RefundRejected) report.rejected++;
      else if (error instanceof PaymentProcessorUnavailable) report.stillPending++;
      else throw error;
    }
  }
  return report;
}

/**
 * Scheduled: a payment voided by the compensation while its charge was still on the way to the processor has nobody
 * left to see that charge land. Voided payments created since `since` are checked with the processor; a charge that
 * landed is booked and refunded at once (under the compensation's key, so the books and the processor agree).
 */
export async function settleVoidedPayments(
  deps: PaymentsDeps,
  since: Date,
  limit = 50,
): Promise<{ checked: number; refunded: number }> {
  const report = { checked: 0, refunded: 0 };
  for (const voided of await deps.payments.list({ status: 'voided', createdFrom: since.toISOString(), limit })) {
    report.checked++;
    const landed = (await deps.processor.chargesForOrder(voided.orderId)).find((c) => c.status === 'succeeded');
    if (!landed) continue;
    const correlationId = `settle-${voided.id}`;
    const { payment, wasVoided } = await deps.payments.recordCapture(voided.id, landed, iso(deps.clock), (p) => [
      createEvent(SOURCE, 'payment.completed', { ...paymentData(p), brand: landed.brand, last4: landed.last4 }, correlationId),
    ]);
    if (!wasVoided) continue;
    await refund(
      deps,
      payment,
      { idempotencyKey: COMPENSATION_KEY, reason: 'late charge on a voided payment', requestedBy: 'saga' },
      correlationId,
    );
    report.refunded++;
  }
  return report;
}

/** POST /payments/{id}/refund (admins; the route's access rule keeps customers out). */
export async function refundPayment(
  deps: PaymentsDeps,
  paymentId: string,
  command: RefundCommand,
  correlationId: string,
): Promise<{ payment: PaymentView; refund: RefundView }> {
  const payment = await deps.payments.findById(paymentId);
  if (!payment) throw new NotFound('No such payment');
  const made = await refund(deps, payment, command, correlationId);
  return { payment: viewOf((await deps.payments.findById(paymentId))!), refund: refundView(made) };
}

export interface PaymentView {
  id: string;
  orderId: string;
  userId: string;
  amount: Money;
  status: PaymentStatus;
  refunded: Money;
  card: { brand: string; last4: string } | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface RefundView {
  id: string;
  amount: Money;
  status: Refund['status'];
  reason: string;
  failureReason: string | null;
  createdAt: string;
}

export function statusOf(p: Payment): PaymentStatus {
  if (p.status !== 'captured' || p.refundedAmount === 0) return p.status;
  return p.refundedAmount >= p.capturedAmount ? 'refunded' : 'partially_refunded';
}

export const viewOf = (p: Payment): PaymentView => ({
  id: p.id,
  orderId: p.orderId,
  userId: p.userId,
  amount: p.amount,
  status: statusOf(p),
  refunded: { amount: p.refundedAmount, currency: p.amount.currency },
  card: p.card,
  failureReason: p.failureReason,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});
const refundView = (r: Refund): RefundView => ({
  id: r.id,
  amount: r.amount,
  status: r.status,
  reason: r.reason,
  failureReason: r.failureReason,
  createdAt: r.createdAt,
});

/** Anyone but the owner and admins is told there is no such payment (404), not that it is someone else's. */
function visible(payment: Payment | null, principal: Principal): Payment {
  if (!payment || (principal.role !== 'admin' && payment.userId !== principal.userId)) throw new NotFound('No such payment');
  return payment;
}

export async function getPayment(
  deps: PaymentsDeps,
  principal: Principal,
  paymentId: string,
): Promise<PaymentView & { refunds: RefundView[] }> {
  const payment = visible(await deps.payments.findById(paymentId), principal);
  return { ...viewOf(payment), refunds: (await deps.payments.refundsOf(payment.id)).map(refundView) };
}

export async function getOrderPayment(
  deps: PaymentsDeps,
  principal: Principal,
  orderId: string,
): Promise<PaymentView & { refunds: RefundView[] }> {
  const payment = visible(await deps.payments.findByOrder(orderId), principal);
  return { ...viewOf(payment), refunds: (await deps.payments.refundsOf(payment.id)).map(refundView) };
}

export interface ListQuery extends Omit<PaymentFilter, 'after'> {
  cursor?: string;
}

/** Where a page of payments ended (newest first): the last item's creation time and id. */
const PageEnd = z.object({ createdAt: z.iso.datetime(), id: cursorId }).strict();

/** GET /payments (admins): newest first, filtered, with an opaque cursor to the next page. */
export async function listPayments(
  deps: PaymentsDeps,
  query: ListQuery,
): Promise<{ items: PaymentView[]; nextCursor: string | null }> {
  const { cursor, ...filter } = query;
  const rows = await deps.payments.list({
    ...filter,
    after: cursor ? decodeCursor(cursor, PageEnd) : undefined,
    limit: filter.limit + 1,
  });
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(viewOf),
    nextCursor: rows.length > filter.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}
