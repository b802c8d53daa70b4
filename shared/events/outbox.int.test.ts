import type { PutEventsCommand, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { withTransaction } from '../db/postgres.ts';
import { createEvent } from './envelope.ts';
import { enqueueEvents, markProcessed, PARK_AFTER, relayOutbox } from './outbox.ts';
import { EventBridgePublisher } from './publisher.ts';
import { registerEvents } from './registry.ts';

registerEvents('testing', { 'testing.thing.happened': z.object({ n: z.number().int() }) });
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL_SCRATCH });

/** EventBridge stand-in for this unit of the relay: records entries, fails the ones it is told to. */
function fakeBus(failWhen: (detail: { data: { n: number } }) => boolean = () => false) {
  const sent: Array<{ data: { n: number } }> = [];
  const publisher = new EventBridgePublisher('bus', async (command: PutEventsCommand): Promise<PutEventsCommandOutput> => {
    const entries = command.input.Entries ?? [];
    return {
      $metadata: {},
      FailedEntryCount: 0,
      Entries: entries.map((e) => {
        const detail = JSON.parse(e.Detail!);
        if (failWhen(detail)) return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
        sent.push(detail);
        return { EventId: detail.id };
      }),
    };
  });
  return { publisher, sent };
}

beforeAll(async () => {
  await pool.query('DELETE FROM outbox');
});
afterAll(() => pool.end());

describe('transactional outbox (real PostgreSQL)', () => {
  it('keeps no event from a rolled-back transaction and publishes a committed one once', async () => {
    await expect(
      withTransaction(pool, async (tx) => {
        await enqueueEvents(tx, [createEvent('testing', 'testing.thing.happened', { n: 1 }, 'c1')]);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await withTransaction(pool, (tx) => enqueueEvents(tx, [createEvent('testing', 'testing.thing.happened', { n: 2 }, 'c2')]));
    const bus = fakeBus();
    expect(await relayOutbox(pool, bus.publisher)).toEqual({ published: 1, failed: 0, deadLettered: 0 });
    expect(await relayOutbox(pool, bus.publisher)).toEqual({ published: 0, failed: 0, deadLettered: 0 });
    expect(bus.sent.map((e) => e.data.n)).toEqual([2]);
  });

  it('refuses to enqueue an event that breaks its schema', async () => {
    await expect(
      withTransaction(pool, (tx) => enqueueEvents(tx, [createEvent('testing', 'testing.thing.happened', { n: 'x' }, 'c')])),
    ).rejects.toThrow(/Invalid testing.thing.happened/);
  });

  it('sets aside a row that no longer passes its schema (e.g. after a schema change) and keeps the rest moving', async () => {
    await pool.query('DELETE FROM outbox');
    const events = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) =>
      createEvent('testing', 'testing.thing.happened', { n }, 'c'),
    );
    await withTransaction(pool, (tx) => enqueueEvents(tx, events));
    const broken = events[10]!;
    // Written when it was valid; invalid under today's schema; enqueued two hours ago.
    await pool.query(
      "UPDATE outbox SET envelope = jsonb_set(envelope, '{data,n}', '\"eleven\"'), created_at = now() - interval '2 hours' WHERE event_id = $1",
      [broken.id],
    );
    const bus = fakeBus();
    expect(await relayOutbox(pool, bus.publisher)).toEqual({ published: 11, failed: 1, deadLettered: 0 });
    // Retried a few times first (an old relay mid-deploy may just not know the event yet), then parked.
    for (let attempt = 2; attempt < PARK_AFTER; attempt++)
      expect(await relayOutbox(pool, bus.publisher)).toEqual({ published: 0, failed: 1, deadLettered: 0 });
    expect(await relayOutbox(pool, bus.publisher)).toEqual({ published: 0, failed: 0, deadLettered: 1 });
    // Parked, not retried: the next run has nothing to do, and nothing holds back rows enqueued after it.
    expect(await relayOutbox(pool, bus.publisher)).toEqual({ published: 0, failed: 0, deadLettered: 0 });
    expect(bus.sent.map((e) => e.data.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]);
    const { rows } = await pool.query(
      'SELECT attempts, last_error, dead_at IS NOT NULL AS dead FROM outbox WHERE published_at IS NULL',
    );
    expect(rows).toEqual([
      { attempts: PARK_AFTER, last_error: expect.stringMatching(/Invalid testing.thing.happened/), dead: true },
    ]);
    await pool.query('DELETE FROM outbox');
  });

  it('does not park a recent event, however often it fails: a relay from before a deploy may not know it yet', async () => {
    await pool.query('DELETE FROM outbox');
    const event = createEvent('testing', 'testing.thing.happened', { n: 1 }, 'c');
    await withTransaction(pool, (tx) => enqueueEvents(tx, [event]));
    await pool.query("UPDATE outbox SET envelope = jsonb_set(envelope, '{data,n}', '\"one\"') WHERE event_id = $1", [event.id]);
    const bus = fakeBus();
    for (let attempt = 0; attempt < PARK_AFTER + 2; attempt++)
      expect(await relayOutbox(pool, bus.publisher)).toEqual({ published: 0, failed: 1, deadLettered: 0 });
    await pool.query('DELETE FROM outbox');
  });

  it('keeps failed entries pending and publishes them on a later run, in order, without re-sending the others', async () => {
    await withTransaction(pool, (tx) =>
      enqueueEvents(
        tx,
        [10, 11, 12].map((n) => createEvent('testing', 'testing.thing.happened', { n }, 'c')),
      ),
    );
    const flaky = fakeBus((d) => d.data.n === 11);
    expect(await relayOutbox(pool, flaky.publisher)).toEqual({ published: 2, failed: 1, deadLettered: 0 });
    const healthy = fakeBus();
    expect(await relayOutbox(pool, healthy.publisher)).toEqual({ published: 1, failed: 0, deadLettered: 0 });
    expect(flaky.sent.map((e) => e.data.n)).toEqual([10, 12]);
    expect(healthy.sent.map((e) => e.data.n)).toEqual([11]);
    const { rows } = await pool.query("SELECT attempts, last_error FROM outbox WHERE envelope->'data'->>'n' = '11'");
    expect(rows[0]).toMatchObject({ attempts: 2, last_error: expect.stringContaining('InternalFailure') });
  });

  it('lets two relays run at once without publishing a row twice', async () => {
    await withTransaction(pool, (tx) =>
      enqueueEvents(
        tx,
        Array.from({ length: 30 }, (_, i) => createEvent('testing', 'testing.thing.happened', { n: 100 + i }, 'c')),
      ),
    );
    const a = fakeBus();
    const b = fakeBus();
    await Promise.all([
      relayOutbox(pool, a.publisher, 10),
      relayOutbox(pool, b.publisher, 10),
      relayOutbox(pool, a.publisher, 10),
    ]);
    while ((await relayOutbox(pool, b.publisher)).published > 0);
    const all = [...a.sent, ...b.sent].map((e) => e.data.n).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
  });

  it('dedupes a consumer on the event id', async () => {
    const id = `evt_${Math.random()}`;
    expect(await markProcessed(pool, id, 'test-consumer')).toBe(true);
    expect(await markProcessed(pool, id, 'test-consumer')).toBe(false);
    expect(await markProcessed(pool, id, 'other-consumer')).toBe(true);
  });
});
