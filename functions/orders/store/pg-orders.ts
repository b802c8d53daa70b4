import { type Pool, type Queryable, withTransaction } from '../../../shared/db/postgres.ts';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import { enqueueEvents, purgeOutbox } from '../../../shared/events/outbox.ts';
import { type Order, type OrderStatus, type OrderSummary, type StatusChange, summaryOf } from '../domain/order.ts';
import { decideKey } from '../domain/placement.ts';
import type { AppliedChange, CreateOutcome, IdempotencyClaim, OrderStore } from '../domain/ports.ts';

interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  currency: string;
  total_amount: number;
  payment_method: string;
  payment_id: string | null;
  cancel_reason: string | null;
  cancel_requested_at: Date | null;
  saga_started_at: Date | null;
  reconcile_attempts: number;
  correlation_id: string;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const UNSETTLED = `(status IN ('PENDING','INVENTORY_RESERVED','PAYMENT_COMPLETED') OR (status = 'CONFIRMED' AND cancel_requested_at IS NOT NULL))`;

/** Orders in PostgreSQL: every change locks the order row, writes history, listing and outbox events in one transaction. */
export class PgOrderStore implements OrderStore {
  constructor(private readonly pool: Pool) {}

  async findKey(userId: string, key: string) {
    const { rows } = await this.pool.query<{ fingerprint: string; order_id: string }>(
      'SELECT fingerprint, order_id FROM idempotency_keys WHERE user_id = $1 AND key = $2',
      [userId, key],
    );
    return rows[0] && { fingerprint: rows[0].fingerprint, orderId: rows[0].order_id };
  }

  async create(order: Order, claim: IdempotencyClaim, events: EventEnvelope[]): Promise<CreateOutcome> {
    return withTransaction(this.pool, async (tx) => {
      // Held to the commit: a second request with the key meanwhile is told it is in flight instead of waiting.
      const { rows: lock } = await tx.query<{ got: boolean }>(
        'SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2)) AS got',
        [claim.userId, claim.key],
      );
      if (!lock[0]?.got) return { kind: 'in-flight' } as const;
      const { rows: earlier } = await tx.query<{ fingerprint: string; order_id: string }>(
        'SELECT fingerprint, order_id FROM idempotency_keys WHERE user_id = $1 AND key = $2',
        [claim.userId, claim.key],
      );
      const decision = decideKey(
        earlier[0] && { fingerprint: earlier[0].fingerprint, orderId: earlier[0].order_id },
        claim.fingerprint,
      );
      if (decision.kind !== 'new') return decision;
      await tx.query(
        `INSERT INTO orders (id, user_id, status, currency, total_amount, payment_method, correlation_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
        [
          order.id,
          order.userId,
          order.status,
          order.total.currency,
          order.total.amount,
          order.paymentMethod,
          order.correlationId,
          order.createdAt,
        ],
      );
      await tx.query(
        `INSERT INTO order_lines (order_id, line_no, product_id, name, quantity, unit_amount, line_amount)
         SELECT $1, n, p, nm, q, u, l FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[]) AS t(n, p, nm, q, u, l)`,
        [
          order.id,
          order.lines.map((_, i) => i),
          order.lines.map((l) => l.productId),
          order.lines.map((l) => l.name),
          order.lines.map((l) => l.quantity),
          order.lines.map((l) => l.unitPrice.amount),
          order.lines.map((l) => l.lineTotal.amount),
        ],
      );
      for (const [seq, entry] of order.history.entries()) await insertHistory(tx, order.id, entry, seq);
      const s = summaryOf(order);
      await tx.query(
        `INSERT INTO order_listing (user_id, created_at, order_id, status, currency, total_amount, line_count, units, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [order.userId, s.createdAt, s.id, s.status, s.total.currency, s.total.amount, s.lineCount, s.units, s.updatedAt],
      );
      await tx.query('INSERT INTO idempotency_keys (user_id, key, fingerprint, order_id) VALUES ($1, $2, $3, $4)', [
        claim.userId,
        claim.key,
        claim.fingerprint,
        order.id,
      ]);
      await enqueueEvents(tx, events);
      return { kind: 'created' } as const;
    });
  }

  async find(orderId: string): Promise<Order | undefined> {
    return load(this.pool, orderId, false);
  }

  async listByUser(userId: string, limit: number, after?: { createdAt: string; id: string }): Promise<OrderSummary[]> {
    const { rows } = await this.pool.query<{
      order_id: string;
      status: OrderStatus;
      currency: string;
      total_amount: number;
      line_count: number;
      units: number;
      created_at: Date;
      updated_at: Date;
    }>(
      `SELECT order_id, status, currency, total_amount, line_count, units, created_at, updated_at FROM order_listing
       WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, order_id) < ($2::timestamptz, $3::text))
       ORDER BY created_at DESC, order_id DESC LIMIT $4`,
      [userId, after?.createdAt ?? null, after?.id ?? '', limit],
    );
    return rows.map((r) => ({
      id: r.order_id,
      status: r.status,
      total: { amount: r.total_amount, currency: r.currency },
      lineCount: r.line_count,
      units: r.units,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  async change(orderId: string, plan: (order: Order) => AppliedChange | undefined) {
    return withTransaction(this.pool, async (tx) => {
      const before = await load(tx, orderId, true);
      if (!before) return undefined;
      const applied = plan(before);
      if (!applied) return { before, after: before };
      const { decision, entry, events } = applied;
      const cancelled = decision.status === 'CANCELLED';
      await tx.query(
        `UPDATE orders SET status = $2, payment_id = COALESCE($3, payment_id),
           cancel_reason = CASE WHEN $4 THEN $5 ELSE cancel_reason END,
           cancel_requested_at = CASE WHEN $6 THEN $7::timestamptz ELSE cancel_requested_at END,
           updated_at = $7
         WHERE id = $1`,
        [
          orderId,
          decision.status,
          decision.paymentId ?? null,
          cancelled,
          decision.reason,
          decision.cancelRequested === true,
          entry.at,
        ],
      );
      await insertHistory(tx, orderId, entry, before.history.length);
      await tx.query('UPDATE order_listing SET status = $2, updated_at = $3 WHERE order_id = $1', [
        orderId,
        decision.status,
        entry.at,
      ]);
      await enqueueEvents(tx, events);
      const after: Order = {
        ...before,
        status: decision.status,
        paymentId: decision.paymentId ?? before.paymentId,
        cancelReason: cancelled ? decision.reason : before.cancelReason,
        cancelRequestedAt: decision.cancelRequested ? entry.at : before.cancelRequestedAt,
        updatedAt: entry.at,
        history: [...before.history, entry],
      };
      return { before, after };
    });
  }

  async startPendingSagas(limit: number, start: (order: Order) => Promise<void>, orderId?: string) {
    let started = 0;
    let failed = 0;
    const skip: string[] = [];
    // One order per transaction: its row stays locked only while its own execution starts, so a cancel of it waits and
    // then sees the saga running, and the saga's first orders task is not held up by the rest of the batch.
    for (let n = 0; n < limit; n++) {
      const outcome = await withTransaction(this.pool, async (tx) => {
        const { rows } = await tx.query<{ id: string }>(
          `SELECT id FROM orders WHERE saga_started_at IS NULL AND status NOT IN ('CANCELLED','NEEDS_ATTENTION')
             AND ($1::text IS NULL OR id = $1) AND NOT (id = ANY($2::text[]))
           ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [orderId ?? null, skip],
        );
        const id = rows[0]?.id;
        if (!id) return 'none' as const;
        try {
          await start((await load(tx, id, false)) as Order);
        } catch {
          skip.push(id);
          return 'failed' as const;
        }
        await tx.query('UPDATE orders SET saga_started_at = now() WHERE id = $1', [id]);
        return 'started' as const;
      });
      if (outcome === 'none') break;
      if (outcome === 'started') started++;
      else failed++;
    }
    return { started, failed };
  }

  async unsettledSince(before: Date, limit: number): Promise<Order[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM orders WHERE ${UNSETTLED} AND saga_started_at IS NOT NULL AND updated_at < $1 ORDER BY updated_at LIMIT $2`,
      [before, limit],
    );
    const orders = await Promise.all(rows.map((r) => load(this.pool, r.id, false)));
    return orders.filter((o): o is Order => o !== undefined);
  }

  async countReconcileAttempt(orderId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      'UPDATE orders SET reconcile_attempts = reconcile_attempts + 1 WHERE id = $1 RETURNING reconcile_attempts AS n',
      [orderId],
    );
    return rows[0]?.n ?? 0;
  }

  async purgeKeysBefore(before: Date): Promise<number> {
    return (await this.pool.query('DELETE FROM idempotency_keys WHERE created_at < $1', [before])).rowCount ?? 0;
  }

  async purgeEventsBefore(before: Date) {
    return purgeOutbox(this.pool, before);
  }
}

async function insertHistory(tx: Queryable, orderId: string, entry: StatusChange, seq = 0): Promise<void> {
  await tx.query('INSERT INTO order_history (order_id, seq, status, reason, at, by_actor) VALUES ($1, $2, $3, $4, $5, $6)', [
    orderId,
    seq,
    entry.status,
    entry.reason,
    entry.at,
    entry.by,
  ]);
}

async function load(db: Queryable, orderId: string, forUpdate: boolean): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(`SELECT * FROM orders WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [orderId]);
  const row = rows[0];
  if (!row) return undefined;
  const [lines, history] = await Promise.all([
    db.query<{ product_id: string; name: string; quantity: number; unit_amount: number; line_amount: number }>(
      'SELECT product_id, name, quantity, unit_amount, line_amount FROM order_lines WHERE order_id = $1 ORDER BY line_no',
      [orderId],
    ),
    db.query<{ status: OrderStatus; reason: string | null; at: Date; by_actor: StatusChange['by'] }>(
      'SELECT status, reason, at, by_actor FROM order_history WHERE order_id = $1 ORDER BY seq',
      [orderId],
    ),
  ]);
  const currency = row.currency;
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    lines: lines.rows.map((l) => ({
      productId: l.product_id,
      name: l.name,
      quantity: l.quantity,
      unitPrice: { amount: l.unit_amount, currency },
      lineTotal: { amount: l.line_amount, currency },
    })),
    total: { amount: row.total_amount, currency },
    paymentMethod: row.payment_method,
    paymentId: row.payment_id,
    cancelReason: row.cancel_reason,
    cancelRequestedAt: iso(row.cancel_requested_at),
    sagaStartedAt: iso(row.saga_started_at),
    reconcileAttempts: row.reconcile_attempts,
    correlationId: row.correlation_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    history: history.rows.map((h) => ({ status: h.status, reason: h.reason, at: h.at.toISOString(), by: h.by_actor })),
  };
}
