import { beforeAll, describe, expect, it } from 'vitest';
import { mongoFor } from '../../shared/db/mongo.ts';
import { newId } from '../../shared/ids.ts';
import { buildNotificationsService, type NotificationsService } from './composition.ts';
import { ContactUnknown, DeliveryInProgress, ProviderRejected } from './domain/errors.ts';
import { handleEvent, type NotificationsDeps } from './domain/notifications.ts';
import type { EmailMessage, EmailProvider, NotificationRecord } from './domain/ports.ts';
import { handler as consume } from './handlers/consume-events.ts';
import { notificationsReads } from './read-composition.ts';
import { envelope, manualClock, orderConfirmed, registered, sqsRecord } from './test-support.ts';

let service: NotificationsService;
const clock = manualClock();

beforeAll(async () => {
  service = await buildNotificationsService({ clock });
});

/** The deps with some parts swapped (a crashing history, a counting provider). */
const withDeps = (overrides: Partial<NotificationsDeps>): NotificationsDeps => ({ ...service.deps, ...overrides });

async function recordedTo(to: string) {
  return service.recorded.list({ to });
}

/** A provider that counts what it was asked to send, optionally slow, optionally without `lookup` (like SES). */
function countingProvider(options: { delayMs?: number; canLookup?: boolean; failures?: number } = {}) {
  const sent: Array<{ message: EmailMessage; key: string }> = [];
  let failuresLeft = options.failures ?? 0;
  const provider: EmailProvider & { sent: typeof sent } = {
    name: 'counting',
    sent,
    async send(message, key) {
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new ProviderRejected('provider outage');
      }
      sent.push({ message, key });
      return { messageId: `m-${sent.length}` };
    },
    ...(options.canLookup === false
      ? {}
      : {
          lookup: async (key: string) => {
            const i = sent.findIndex((s) => s.key === key);
            return i === -1 ? null : { messageId: `m-${i + 1}` };
          },
        }),
  };
  return provider;
}

describe('the history store on FerretDB', () => {
  it('has the unique (eventId, channel) index, and it refuses a second claim of the same pair', async () => {
    const indexes = await service.history.indexes();
    expect(indexes.find((i) => i.name === 'event_channel_unique')).toMatchObject({
      key: { eventId: 1, channel: 1 },
      unique: true,
    });
    const record = {
      id: newId('ntf'),
      eventId: newId('evt'),
      eventType: 'order.confirmed',
      channel: 'email',
      userId: newId('usr'),
      to: 'a@example.test',
      subject: 's',
      text: 't',
      status: 'sending',
      attempts: 1,
      leaseUntil: null,
      provider: null,
      providerMessageId: null,
      lastError: null,
      occurredAt: '2030-03-01T09:00:00.000Z',
      createdAt: '2030-03-01T09:00:00.000Z',
      sentAt: null,
      correlationId: 'c',
    } satisfies NotificationRecord;
    expect((await service.history.claim(record)).claimed).toBe(true);
    const second = await service.history.claim({ ...record, id: newId('ntf') });
    expect(second).toMatchObject({ claimed: false, existing: { id: record.id } });
    expect((await service.history.claim({ ...record, id: newId('ntf'), channel: 'sms' })).claimed).toBe(true);
    // The index itself, not only the document key, refuses the pair: a raw insert under another key fails too.
    const raw = (await mongoFor('notifications')).db!.collection('notifications');
    await expect(raw.insertOne({ ...record, _id: 'another-key' } as never)).rejects.toMatchObject({ code: 11000 });
  });
});

describe('exactly once to the user', () => {
  it('sends a welcome once for the same user.registered delivered three times', async () => {
    const userId = newId('usr');
    const event = registered(userId);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await handleEvent(service.deps, event));
    expect(results.map((r) => r.map((o) => o.result))).toEqual([['sent'], ['duplicate'], ['duplicate']]);
    const mail = await recordedTo(`${userId}@example.test`);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ subject: 'Welcome to Shop', channel: 'email' });
    expect(await service.history.find(event.id, 'email')).toMatchObject({ status: 'sent', attempts: 1, provider: 'recording' });
  });

  it('a crash after the provider took the message and before the history was written sends nothing the second time', async () => {
    const userId = newId('usr');
    await handleEvent(service.deps, registered(userId, { phone: '+44 20 7946 0958' }));
    const event = orderConfirmed(userId);
    // The process "dies" right after the provider accepted: the history never hears of it.
    const crashing = withDeps({
      history: Object.assign(Object.create(service.history), {
        markSent: async () => {
          throw new Error('process killed');
        },
      }),
    });
    await expect(handleEvent(crashing, event)).rejects.toThrow('process killed');
    expect(await recordedTo(`${userId}@example.test`)).toHaveLength(2);
    expect(await service.history.find(event.id, 'email')).toMatchObject({ status: 'sending' });

    // Redelivered while the dead worker's lease still runs: nothing is sent, the message is retried later.
    await expect(handleEvent(service.deps, event)).rejects.toBeInstanceOf(DeliveryInProgress);
    // Redelivered after the lease: the provider's record says it was sent; the history is completed, nothing re-sent.
    clock.advance(service.deps.leaseSeconds + 1);
    const outcomes = await handleEvent(service.deps, event);
    expect(outcomes.map((o) => [o.channel, o.result])).toEqual([
      ['email', 'recovered'],
      ['sms', 'recovered'],
    ]);
    expect((await recordedTo(`${userId}@example.test`)).filter((m) => m.subject?.includes('confirmed'))).toHaveLength(1);
    expect(await recordedTo('+442079460958')).toHaveLength(1);
    expect(await service.history.find(event.id, 'email')).toMatchObject({ status: 'sent', attempts: 2 });
    expect((await handleEvent(service.deps, event)).map((o) => o.result)).toEqual(['duplicate', 'duplicate']);
  });

  it('a crash before the provider call is sent after the lease (the provider has no record of it)', async () => {
    const userId = newId('usr');
    const provider = countingProvider();
    const deps = withDeps({ email: provider });
    await handleEvent(deps, registered(userId));
    const event = orderConfirmed(userId);
    const dying = withDeps({
      email: {
        name: 'counting',
        send: async () => {
          throw new Error('process killed before the request left');
        },
        lookup: provider.lookup,
      },
    });
    await expect(handleEvent(dying, event)).rejects.toThrow('process killed');
    clock.advance(1);
    expect((await handleEvent(deps, event)).map((o) => o.result)).toEqual(['sent']);
    expect(provider.sent.filter((s) => s.key.startsWith(event.id))).toHaveLength(1);
  });

  it('with a provider that cannot be asked (SES, SNS), a crash mid-send leaves it unconfirmed and never sends twice', async () => {
    const userId = newId('usr');
    const provider = countingProvider({ canLookup: false });
    const deps = withDeps({ email: provider });
    await handleEvent(deps, registered(userId));
    const event = orderConfirmed(userId);
    const crashing = withDeps({
      email: provider,
      history: Object.assign(Object.create(service.history), {
        markSent: async () => {
          throw new Error('process killed');
        },
      }),
    });
    await expect(handleEvent(crashing, event)).rejects.toThrow('process killed');
    clock.advance(service.deps.leaseSeconds + 1);
    expect((await handleEvent(deps, event)).map((o) => o.result)).toEqual(['unconfirmed']);
    expect((await handleEvent(deps, event)).map((o) => o.result)).toEqual(['duplicate']);
    expect(provider.sent.filter((s) => s.key.startsWith(event.id))).toHaveLength(1);
    expect(await service.history.find(event.id, 'email')).toMatchObject({ status: 'unconfirmed' });
  });

  it('of ten concurrent deliveries of one event exactly one sends; the others retry and then find it sent', async () => {
    const userId = newId('usr');
    const provider = countingProvider({ delayMs: 50 });
    const deps = withDeps({ email: provider });
    await handleEvent(deps, registered(userId));
    const event = orderConfirmed(userId);
    const settled = await Promise.allSettled(Array.from({ length: 10 }, () => handleEvent(deps, event)));
    const sent = settled.filter((s) => s.status === 'fulfilled' && s.value[0]?.result === 'sent');
    const retried = settled.filter((s) => s.status === 'rejected');
    expect(sent).toHaveLength(1);
    for (const r of retried) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DeliveryInProgress);
    // Their retries (after the visibility timeout) all see it sent.
    for (let i = 0; i < retried.length; i++) expect((await handleEvent(deps, event))[0]?.result).toBe('duplicate');
    expect(provider.sent.filter((s) => s.key.startsWith(event.id))).toHaveLength(1);
  });

  it('a provider outage is retried and, once it recovers, every message goes out exactly once', async () => {
    const userId = newId('usr');
    const provider = countingProvider({ failures: 3 });
    const deps = withDeps({ email: provider });
    const events = [registered(userId), orderConfirmed(userId), orderConfirmed(userId)];
    const attempts = new Map<string, number>();
    // The queue's view: keep redelivering what failed until nothing does.
    let pending = [...events];
    for (let round = 0; pending.length && round < 10; round++) {
      const failed: typeof events = [];
      for (const event of pending) {
        attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
        await handleEvent(deps, event).catch((error) => {
          expect(error).toBeInstanceOf(ProviderRejected);
          failed.push(event);
        });
      }
      pending = failed;
    }
    expect(pending).toEqual([]);
    expect(provider.sent.map((s) => s.key).sort()).toEqual(events.map((e) => `${e.id}:email`).sort());
    expect(Math.max(...attempts.values())).toBeGreaterThan(1);
    for (const e of events) expect(await service.history.find(e.id, 'email')).toMatchObject({ status: 'sent' });
  });
});

describe('the contact read model', () => {
  it('retries (does not drop) an event for a user it does not know yet, and delivers it once they are known', async () => {
    const userId = newId('usr');
    const early = orderConfirmed(userId);
    await expect(handleEvent(service.deps, early)).rejects.toBeInstanceOf(ContactUnknown);
    await handleEvent(service.deps, registered(userId));
    expect((await handleEvent(service.deps, early)).map((o) => o.result)).toEqual(['sent']);
  });

  it('keeps the newest contact whatever order the users events arrive in, and sends a security notice', async () => {
    const userId = newId('usr');
    const updated = envelope(
      'user.updated',
      {
        userId,
        email: `new-${userId}@example.test`,
        name: 'Ada B',
        phone: null,
        changed: ['email', 'name'],
        updatedAt: '2030-03-01T09:10:00.000Z',
      },
      '2030-03-01T09:10:00.000Z',
    );
    expect(await handleEvent(service.deps, updated)).toEqual([]);
    // The registration arrives late: its older address must not win, but the welcome still goes (to the newest address).
    await handleEvent(service.deps, registered(userId));
    expect(await service.contacts.find(userId)).toMatchObject({ email: `new-${userId}@example.test`, name: 'Ada B' });
    expect(await recordedTo(`new-${userId}@example.test`)).toHaveLength(1);
    const changed = envelope(
      'user.password.changed',
      {
        userId,
        email: `new-${userId}@example.test`,
        name: 'Ada B',
        phone: '+15555550100',
        changedAt: '2030-03-01T09:20:00.000Z',
      },
      '2030-03-01T09:20:00.000Z',
    );
    const outcomes = await handleEvent(service.deps, changed);
    expect(outcomes.map((o) => o.channel)).toEqual(['email', 'sms']);
    const [sms] = await recordedTo('+15555550100');
    expect(sms!.text).toContain('password was just changed');
  });
});

describe('the consumer', () => {
  it('reports only the poison message of a batch as failed; the rest are delivered once', async () => {
    const userId = newId('usr');
    const good = [registered(userId), orderConfirmed(userId, '2030-03-01T09:06:00.000Z')];
    // order.confirmed is registered by the orders service; until then the consumer also rejects it as unknown.
    const poison = sqsRecord({ ...registered(userId), data: { userId } } as never, 'poison');
    const records = [sqsRecord(good[0]!), poison];
    const first = await consume({ Records: records } as never);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }]);
    expect(await recordedTo(`${userId}@example.test`)).toHaveLength(1);
  });
});

describe('history listing', () => {
  it('lists a user’s notifications newest first, in pages with a cursor', async () => {
    const userId = newId('usr');
    await handleEvent(service.deps, registered(userId));
    for (let i = 1; i <= 4; i++) await handleEvent(service.deps, orderConfirmed(userId, `2030-03-01T09:0${i}:00.000Z`));
    const { listUserNotifications } = await import('./domain/history.ts');
    const me = { userId, role: 'customer' as const };
    const first = await listUserNotifications(service.deps, me, userId, { limit: 3 });
    expect(first.items.map((n) => n.occurredAt)).toEqual([
      '2030-03-01T09:04:00.000Z',
      '2030-03-01T09:03:00.000Z',
      '2030-03-01T09:02:00.000Z',
    ]);
    const second = await listUserNotifications(service.deps, me, userId, { limit: 3, cursor: first.nextCursor! });
    expect(second.items.map((n) => n.eventType)).toEqual(['order.confirmed', 'user.registered']);
    expect(second.nextCursor).toBeNull();
    await expect(
      listUserNotifications(service.deps, { userId: newId('usr'), role: 'customer' }, userId, { limit: 3 }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // The routes' driver-only wiring pages as the store over mongoose does, for the user and for an admin (everyone's):
    // both run the same reader class, so this proves the composition's database and collection, not the query.
    const { listNotifications } = await import('./domain/history.ts');
    const reads = await notificationsReads();
    for (const [principal, limit] of [
      [me, 2],
      [{ userId: newId('usr'), role: 'admin' as const }, 7],
    ] as const) {
      let cursor: string | undefined;
      for (let page = 0; page < 3; page++) {
        const viaReader = await listNotifications(reads, principal, { limit, cursor });
        expect(viaReader.items.length).toBeGreaterThan(0);
        expect(viaReader).toEqual(await listNotifications(service.deps, principal, { limit, cursor }));
        if (!viaReader.nextCursor) break;
        cursor = viaReader.nextCursor;
      }
    }
  });
});
