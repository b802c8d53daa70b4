import type { Pool, Queryable } from '../db/postgres.ts';
import { logger } from '../observability.ts';
import type { EventEnvelope } from './envelope.ts';
import { type EventPublisher, type FailedEvent, PublishFailed } from './port.ts';
import { validateEvent } from './registry.ts';

/**
 * Transactional outbox for Postgres-owned services: `enqueue` runs inside the caller's transaction,
 * so an event exists exactly when its change committed. `relay` publishes what is pending.
 */
export async function enqueueEvents(tx: Queryable, events: EventEnvelope[]): Promise<void> {
  for (const event of events) {
    const valid = validateEvent(event);
    await tx.query('INSERT INTO outbox (event_id, event_type, source, envelope) VALUES ($1, $2, $3, $4)', [
      valid.id,
      valid.type,
      valid.source,
      JSON.stringify(valid),
    ]);
  }
}

/** Failed attempts before an event that fails its schema is parked (and it must be an hour old). */
export const PARK_AFTER = 5;

export interface RelayResult {
  published: number;
  /** Failed this time and still pending: the next run retries them. */
  failed: number;
  /** Can never be published (they kept failing their schema): parked with `dead_at` and logged, no longer retried. */
  deadLettered: number;
}

/**
 * Publishes pending outbox rows in order, at most `limit`. Rows are locked with SKIP LOCKED so
 * several relays (the per-request fast path and the scheduled sweep) never publish the same row
 * at once. A crash after publishing and before marking re-publishes that row: delivery is at least
 * once, and consumers dedupe on the event id.
 */
export async function relayOutbox(pool: Pool, publisher: EventPublisher, limit = 100): Promise<RelayResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ seq: number; envelope: EventEnvelope }>(
      'SELECT seq, envelope FROM outbox WHERE published_at IS NULL AND dead_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED',
      [limit],
    );
    if (!rows.length) {
      await client.query('COMMIT');
      return { published: 0, failed: 0, deadLettered: 0 };
    }
    let publishedIds = rows.map((r) => r.envelope.id);
    let failures: FailedEvent[] = [];
    try {
      await publisher.publish(rows.map((r) => r.envelope));
    } catch (error) {
      if (!(error instanceof PublishFailed)) throw error;
      publishedIds = error.published;
      failures = error.failed;
    }
    if (publishedIds.length) {
      await client.query('UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE event_id = ANY($1)', [
        publishedIds,
      ]);
    }
    let deadLettered = 0;
    for (const f of failures) {
      // Parked only after PARK_AFTER attempts and an hour: during a rolling deploy an old relay may not know a new
      // event yet, which a later relay will.
      const { rows: updated } = await client.query<{ parked: boolean }>(
        `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
           dead_at = CASE WHEN $3 AND attempts + 1 >= $4 AND created_at < now() - interval '1 hour' THEN now() END
         WHERE event_id = $1 RETURNING dead_at IS NOT NULL AS parked`,
        [f.id, f.reason.slice(0, 500), f.permanent === true, PARK_AFTER],
      );
      if (updated[0]?.parked) {
        deadLettered++;
        logger.error('outbox event parked: it can never be published', { eventId: f.id, reason: f.reason });
      }
    }
    await client.query('COMMIT');
    return { published: publishedIds.length, failed: failures.length - deadLettered, deadLettered };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** The fast path of the outbox: publish right after a commit, bounded, never failing the caller (the schedule retries). */
export function relayAfterCommit(pool: Pool, publisher: EventPublisher, timeoutMs = 1_500): () => Promise<void> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const relay = relayOutbox(pool, publisher, 20).catch((error: Error) => {
      logger.warn('outbox fast path failed; the scheduled relay will retry', { error: error.message });
    });
    await Promise.race([relay, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  };
}

/** Consumer-side dedupe: true the first time this consumer sees the event id (within the caller's transaction). */
export async function markProcessed(tx: Queryable, eventId: string, consumer: string): Promise<boolean> {
  const result = await tx.query('INSERT INTO processed_events (event_id, consumer) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    eventId,
    consumer,
  ]);
  return result.rowCount === 1;
}

/**
 * Retention: deletes outbox rows published before `before` and consumer dedupe records older than it. Unpublished rows
 * are never deleted, however old. Keep `before` further back than any redelivery (SQS keeps messages up to 14 days),
 * or a late duplicate would no longer be recognised.
 */
export async function purgeOutbox(db: Queryable, before: Date): Promise<{ outbox: number; processed: number }> {
  const outbox = await db.query('DELETE FROM outbox WHERE published_at < $1', [before]);
  const processed = await db.query('DELETE FROM processed_events WHERE processed_at < $1', [before]);
  return { outbox: outbox.rowCount ?? 0, processed: processed.rowCount ?? 0 };
}
