import type pg from 'pg';
import { type Pool, type Queryable, withTransaction } from '../../../shared/db/postgres.ts';
import { enqueueEvents } from '../../../shared/events/outbox.ts';
import { newId } from '../../../shared/ids.ts';
import type { DeclineReason } from '../domain/errors.ts';
import { IdempotencyMismatch, PaymentNotCaptured, RefundExceedsCaptured } from '../domain/errors.ts';
import type { EventsFor, Payment, PaymentFilter, PaymentStore, Refund } from '../domain/ports.ts';

interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string;
  amount: number;
  currency: string;
  status: Payment['status'];
  captured_amount: number;
  refunded_amount: number;
  refund_reserved: number;
  processor_charge_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}
interface RefundRow {
  id: string;
  payment_id: string;
  idempotency_key: string;
  amount: number;
  currency: string;
  reason: string;
  status: Refund['status'];
  processor_refund_id: string | null;
  failure_reason: string | null;
  requested_by: string;
  created_at: Date;
  updated_at: Date;
}

const toPayment = (r: PaymentRow): Payment => ({
  id: r.id,
  orderId: r.order_id,
  userId: r.user_id,
  amount: { amount: r.amount, currency: r.currency },
  status: r.status,
  capturedAmount: r.captured_amount,
  refundedAmount: r.refunded_amount,
  refundReserved: r.refund_reserved,
  processorChargeId: r.processor_charge_id,
  card: r.card_brand && r.card_last4 ? { brand: r.card_brand, last4: r.card_last4 } : null,
  failureReason: r.failure_reason as DeclineReason | null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});
const toRefund = (r: RefundRow): Refund => ({
  id: r.id,
  paymentId: r.payment_id,
  idempotencyKey: r.idempotency_key,
  amount: { amount: r.amount, currency: r.currency },
  reason: r.reason,
  status: r.status,
  processorRefundId: r.processor_refund_id,
  failureReason: r.failure_reason,
  requestedBy: r.requested_by,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const REFUND_COLUMNS = `r.id, r.payment_id, r.idempotency_key, r.amount, p.currency, r.reason, r.status, r.processor_refund_id,
  r.failure_reason, r.requested_by, r.created_at, r.updated_at`;

async function lockPayment(tx: Queryable, paymentId: string): Promise<Payment> {
  const { rows } = await tx.query<PaymentRow>('SELECT * FROM payments WHERE id = $1 FOR UPDATE', [paymentId]);
  if (!rows[0]) throw new Error(`payment ${paymentId} vanished`);
  return toPayment(rows[0]);
}

/** Serialises the claim of an order's payment with its compensation: a void and a first attempt never both miss each other. */
async function lockOrder(tx: Queryable, orderId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`payments/order/${orderId}`]);
}

async function lockRefund(tx: Queryable, refundId: string): Promise<{ refund: Refund; payment: Payment }> {
  // The payment row first, in the order every other writer locks: no deadlock between refunds of one payment.
  const { rows: ids } = await tx.query<{ payment_id: string }>('SELECT payment_id FROM refunds WHERE id = $1', [refundId]);
  if (!ids[0]) throw new Error(`refund ${refundId} vanished`);
  const payment = await lockPayment(tx, ids[0].payment_id);
  const { rows } = await tx.query<RefundRow>(
    `SELECT ${REFUND_COLUMNS} FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = $1`,
    [refundId],
  );
  return { refund: toRefund(rows[0]!), payment };
}

async function appendLedger(
  tx: Queryable,
  entry: {
    payment: Payment;
    kind: 'charge' | 'refund' | 'failed_charge';
    amount: number;
    ref: string | null;
    reason?: string;
    at: string;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO payment_transactions (id, payment_id, order_id, kind, amount, currency, processor_ref, reason, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      newId('txn'),
      entry.payment.id,
      entry.payment.orderId,
      entry.kind,
      entry.amount,
      entry.payment.amount.currency,
      entry.ref,
      entry.reason ?? null,
      entry.at,
    ],
  );
}

/** Payments, refunds and the ledger in PostgreSQL; each write is one transaction with its outbox events. */
export class PgPaymentStore implements PaymentStore {
  constructor(
    private readonly pool: Pool,
    private readonly afterCommit: () => Promise<void> = async () => {},
  ) {}

  private async write<T>(work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    const result = await withTransaction(this.pool, work);
    await this.afterCommit();
    return result;
  }

  async startPayment(candidate: Payment, events: EventsFor<Payment>): Promise<Payment> {
    return this.write(async (tx) => {
      await lockOrder(tx, candidate.orderId);
      const { rows: existing } = await tx.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [candidate.orderId]);
      if (existing[0]) return toPayment(existing[0]);
      const { rows: voids } = await tx.query('SELECT 1 FROM payment_voids WHERE order_id = $1', [candidate.orderId]);
      // Compensated before this attempt: the payment is born voided, so nothing is charged (and no event says otherwise).
      const status = voids[0] ? 'voided' : 'pending';
      const { rows } = await tx.query<PaymentRow>(
        `INSERT INTO payments (id, order_id, user_id, amount, currency, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *`,
        [
          candidate.id,
          candidate.orderId,
          candidate.userId,
          candidate.amount.amount,
          candidate.amount.currency,
          status,
          candidate.createdAt,
        ],
      );
      const payment = toPayment(rows[0]!);
      if (status === 'pending') await enqueueEvents(tx, events(payment));
      return payment;
    });
  }

  async voidUnstartedOrder(orderId: string, reason: string, at: string): Promise<Payment | null> {
    return this.write(async (tx) => {
      await lockOrder(tx, orderId);
      const { rows } = await tx.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [orderId]);
      if (rows[0]) return toPayment(rows[0]);
      await tx.query(
        'INSERT INTO payment_voids (order_id, reason, created_at) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING',
        [orderId, reason.slice(0, 200), at],
      );
      return null;
    });
  }

  async recordCapture(
    paymentId: string,
    capture: { chargeId: string; brand: string; last4: string },
    at: string,
    events: EventsFor<Payment>,
  ): Promise<{ payment: Payment; wasVoided: boolean }> {
    return this.write(async (tx) => {
      const current = await lockPayment(tx, paymentId);
      if (current.status === 'captured') return { payment: current, wasVoided: false };
      // A charge the processor made is booked whatever our row says (even failed or voided): the books follow the money.
      await appendLedger(tx, { payment: current, kind: 'charge', amount: current.amount.amount, ref: capture.chargeId, at });
      const { rows } = await tx.query<PaymentRow>(
        `UPDATE payments SET status = 'captured', captured_amount = amount, processor_charge_id = $2, card_brand = $3,
           card_last4 = $4, failure_reason = NULL, updated_at = $5 WHERE id = $1 RETURNING *`,
        [paymentId, capture.chargeId, capture.brand, capture.last4, at],
      );
      const payment = toPayment(rows[0]!);
      await enqueueEvents(tx, events(payment));
      return { payment, wasVoided: current.status === 'voided' };
    });
  }

  async recordDecline(
    paymentId: string,
    decline: { reason: DeclineReason; chargeId: string | null },
    at: string,
    events: EventsFor<Payment>,
  ): Promise<Payment> {
    return this.write(async (tx) => {
      const current = await lockPayment(tx, paymentId);
      if (current.status !== 'pending') return current;
      await appendLedger(tx, {
        payment: current,
        kind: 'failed_charge',
        amount: current.amount.amount,
        ref: decline.chargeId,
        reason: decline.reason,
        at,
      });
      const { rows } = await tx.query<PaymentRow>(
        `UPDATE payments SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1 RETURNING *`,
        [paymentId, decline.reason, at],
      );
      const payment = toPayment(rows[0]!);
      await enqueueEvents(tx, events(payment));
      return payment;
    });
  }

  async voidPending(paymentId: string, at: string): Promise<Payment> {
    return this.write(async (tx) => {
      const { rows } = await tx.query<PaymentRow>(
        `UPDATE payments SET status = 'voided', updated_at = $2 WHERE id = $1 AND status = 'pending' RETURNING *`,
        [paymentId, at],
      );
      return rows[0] ? toPayment(rows[0]) : lockPayment(tx, paymentId);
    });
  }

  async reserveRefund(
    paymentId: string,
    request: { id: string; idempotencyKey: string; amount?: number; reason: string; requestedBy: string; at: string },
  ): Promise<Refund> {
    return this.write(async (tx) => {
      const payment = await lockPayment(tx, paymentId);
      const { rows: existing } = await tx.query<RefundRow>(
        `SELECT ${REFUND_COLUMNS} FROM refunds r JOIN payments p ON p.id = r.payment_id
         WHERE r.payment_id = $1 AND r.idempotency_key = $2`,
        [paymentId, request.idempotencyKey],
      );
      if (existing[0]) {
        const earlier = toRefund(existing[0]);
        if (request.amount !== undefined && request.amount !== earlier.amount.amount)
          throw new IdempotencyMismatch('This Idempotency-Key was used for a refund of another amount', {
            refundId: earlier.id,
          });
        return earlier;
      }
      if (payment.status !== 'captured') throw new PaymentNotCaptured(payment.status);
      const refundable = payment.capturedAmount - payment.refundedAmount - payment.refundReserved;
      const amount = request.amount ?? refundable;
      if (amount <= 0 || amount > refundable) throw new RefundExceedsCaptured(amount, refundable);
      await tx.query('UPDATE payments SET refund_reserved = refund_reserved + $2, updated_at = $3 WHERE id = $1', [
        paymentId,
        amount,
        request.at,
      ]);
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO refunds (id, payment_id, idempotency_key, amount, reason, status, requested_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7) RETURNING id`,
        [request.id, paymentId, request.idempotencyKey, amount, request.reason, request.requestedBy, request.at],
      );
      return {
        id: rows[0]!.id,
        paymentId,
        idempotencyKey: request.idempotencyKey,
        amount: { amount, currency: payment.amount.currency },
        reason: request.reason,
        status: 'pending',
        processorRefundId: null,
        failureReason: null,
        requestedBy: request.requestedBy,
        createdAt: request.at,
        updatedAt: request.at,
      };
    });
  }

  async completeRefund(
    refundId: string,
    processorRefundId: string,
    at: string,
    events: EventsFor<{ payment: Payment; refund: Refund }>,
  ): Promise<{ payment: Payment; refund: Refund }> {
    return this.write(async (tx) => {
      const locked = await lockRefund(tx, refundId);
      if (locked.refund.status !== 'pending') return locked;
      const amount = locked.refund.amount.amount;
      await appendLedger(tx, {
        payment: locked.payment,
        kind: 'refund',
        amount,
        ref: processorRefundId,
        reason: locked.refund.reason,
        at,
      });
      const { rows } = await tx.query<PaymentRow>(
        `UPDATE payments SET refunded_amount = refunded_amount + $2, refund_reserved = refund_reserved - $2, updated_at = $3
         WHERE id = $1 RETURNING *`,
        [locked.payment.id, amount, at],
      );
      await tx.query(`UPDATE refunds SET status = 'succeeded', processor_refund_id = $2, updated_at = $3 WHERE id = $1`, [
        refundId,
        processorRefundId,
        at,
      ]);
      const done = {
        payment: toPayment(rows[0]!),
        refund: { ...locked.refund, status: 'succeeded' as const, processorRefundId, updatedAt: at },
      };
      await enqueueEvents(tx, events(done));
      return done;
    });
  }

  async failRefund(refundId: string, reason: string, at: string): Promise<Refund> {
    return this.write(async (tx) => {
      const locked = await lockRefund(tx, refundId);
      if (locked.refund.status !== 'pending') return locked.refund;
      await tx.query('UPDATE payments SET refund_reserved = refund_reserved - $2, updated_at = $3 WHERE id = $1', [
        locked.payment.id,
        locked.refund.amount.amount,
        at,
      ]);
      await tx.query(`UPDATE refunds SET status = 'failed', failure_reason = $2, updated_at = $3 WHERE id = $1`, [
        refundId,
        reason.slice(0, 200),
        at,
      ]);
      return { ...locked.refund, status: 'failed', failureReason: reason, updatedAt: at };
    });
  }

  async findById(id: string): Promise<Payment | null> {
    const { rows } = await this.pool.query<PaymentRow>('SELECT * FROM payments WHERE id = $1', [id]);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  async findByOrder(orderId: string): Promise<Payment | null> {
    const { rows } = await this.pool.query<PaymentRow>('SELECT * FROM payments WHERE order_id = $1', [orderId]);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  async refundsOf(paymentId: string): Promise<Refund[]> {
    const { rows } = await this.pool.query<RefundRow>(
      `SELECT ${REFUND_COLUMNS} FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.payment_id = $1
       ORDER BY r.created_at, r.id`,
      [paymentId],
    );
    return rows.map(toRefund);
  }

  async pendingRefunds(before: string, limit: number): Promise<Refund[]> {
    const { rows } = await this.pool.query<RefundRow>(
      `SELECT ${REFUND_COLUMNS} FROM refunds r JOIN payments p ON p.id = r.payment_id
       WHERE r.status = 'pending' AND r.created_at < $1 ORDER BY r.created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map(toRefund);
  }

  async list(filter: PaymentFilter): Promise<Payment[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.userId) where.push(`user_id = ${param(filter.userId)}`);
    if (filter.orderId) where.push(`order_id = ${param(filter.orderId)}`);
    if (filter.createdFrom) where.push(`created_at >= ${param(filter.createdFrom)}`);
    if (filter.createdTo) where.push(`created_at < ${param(filter.createdTo)}`);
    if (filter.status === 'captured') where.push(`status = 'captured' AND refunded_amount = 0`);
    else if (filter.status === 'partially_refunded')
      where.push(`status = 'captured' AND refunded_amount > 0 AND refunded_amount < captured_amount`);
    else if (filter.status === 'refunded') where.push(`status = 'captured' AND refunded_amount = captured_amount`);
    else if (filter.status) where.push(`status = ${param(filter.status)}`);
    if (filter.after) where.push(`(created_at, id) < (${param(filter.after.createdAt)}, ${param(filter.after.id)})`);
    const { rows } = await this.pool.query<PaymentRow>(
      `SELECT * FROM payments ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ${param(filter.limit)}`,
      values,
    );
    return rows.map(toPayment);
  }
}
