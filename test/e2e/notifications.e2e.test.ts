import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../../shared/ids.ts';
import { adminToken, api, registerCustomer } from '../support/api.ts';
import { orderableProduct, placeOrder, waitForOrder } from '../support/orders.ts';

const call = api();
const awsUrl = inject('runtimeEnv').EVENTBRIDGE_ENDPOINT!;
let admin: string;

beforeAll(async () => {
  admin = await adminToken(call);
});

interface Mail {
  channel: 'email' | 'sms';
  to: string;
  subject: string | null;
  text: string;
  html: string | null;
  idempotencyKey: string;
}
interface History {
  items: Array<{ eventType: string; channel: string; status: string; to: string; subject: string | null; occurredAt: string }>;
  nextCursor: string | null;
}
interface DeadLetter {
  queue: string;
  messageId: string;
  receiveCount: number;
  error: string;
  event: { detail: { id: string } };
}

const mailTo = async (to: string) =>
  (await call<{ messages: Mail[] }>('GET', `/_local/mail?format=json&to=${encodeURIComponent(to)}`)).body.messages;

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** PutEvents on the runtime's local EventBridge endpoint, as a producer's publisher does (no schema check here). */
async function putEvents(entries: Array<{ type: string; detail: Record<string, unknown> }>): Promise<void> {
  const res = await fetch(awsUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({
      Entries: entries.map((e) => ({
        Source: `shop.${e.type.startsWith('user.') ? 'users' : 'orders'}`,
        DetailType: e.type,
        Detail: JSON.stringify(e.detail),
      })),
    }),
  });
  expect((await res.json()) as { FailedEntryCount: number }).toMatchObject({ FailedEntryCount: 0 });
}

function envelope(type: string, data: Record<string, unknown>) {
  return {
    id: newId('evt'),
    type,
    source: `shop.${type.startsWith('user.') ? 'users' : 'orders'}`,
    occurredAt: new Date().toISOString(),
    correlationId: newId('cor'),
    version: 1,
    data,
  };
}
const registeredEvent = (userId: string) =>
  envelope('user.registered', {
    userId,
    email: `${userId}@example.test`,
    name: 'Queue Tester',
    phone: null,
    role: 'customer',
    registeredAt: new Date().toISOString(),
  });

const deadLetters = async () => (await call<{ deadLetters: DeadLetter[] }>('GET', '/_local/dlq')).body.deadLetters;
const deadLetterOf = async (eventId: string) => (await deadLetters()).find((d) => d.event.detail.id === eventId);
const deliveriesOf = async (eventId: string) => {
  const events = (
    await call<{
      events: Array<{ detail: { id: string }; deliveries: Array<{ subscription: string; status: string; attempts: number }> }>;
    }>('GET', '/_local/events')
  ).body.events;
  return events.find((e) => e.detail.id === eventId)?.deliveries.filter((d) => d.subscription === 'notifications.events') ?? [];
};

describe('notifications over the offline runtime', () => {
  it('sends a registered user one welcome email, shown on /_local/mail and in their history (and only theirs)', async () => {
    const ada = await registerCustomer(call, { name: 'Ada <b>& Co</b>' });
    const [mail] = await until(
      'the welcome mail',
      () => mailTo(ada.email),
      (m) => m.length > 0,
    );
    expect(mail).toMatchObject({ channel: 'email', subject: 'Welcome to Shop' });
    expect(mail!.html).toContain('Hello Ada &lt;b&gt;&amp; Co&lt;/b&gt;,');
    expect(mail!.html).not.toContain('<b>&');

    const page = await call('GET', '/_local/mail', { noApiKey: true });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(String(page.body)).toContain(`Email to ${ada.email}`);

    const mine = await call<History>('GET', '/notifications', { token: ada.accessToken });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((n) => [n.eventType, n.channel, n.status])).toEqual([['user.registered', 'email', 'sent']]);
    const byId = await call<History>('GET', `/notifications/user/${ada.user.id}`, { token: ada.accessToken });
    expect(byId.body.items).toHaveLength(1);
    expect((await call<History>('GET', `/notifications/user/${ada.user.id}`, { token: admin })).body.items).toHaveLength(1);

    const bob = await registerCustomer(call);
    expect((await call('GET', `/notifications/user/${ada.user.id}`, { token: bob.accessToken })).status).toBe(404);
    expect((await call('GET', '/notifications?cursor=!!', { token: bob.accessToken })).status).toBe(400);
    expect((await call('GET', '/notifications')).status).toBe(401);
  });

  it('keeps the phone number from the users events and texts a security notice when the password changes', async () => {
    const pat = await registerCustomer(call, { name: 'Pat', phone: '+44 20 7946 0958' });
    const changed = await call('POST', `/users/${pat.user.id}/password`, {
      token: pat.accessToken,
      body: { currentPassword: pat.password, newPassword: 'Another-Horse-43' },
    });
    expect(changed.status).toBe(204);
    const [sms] = await until(
      'the security SMS',
      () => mailTo('+442079460958'),
      (m) => m.some((x) => x.channel === 'sms'),
    );
    expect(sms!.text).toMatch(/^Shop: Pat, your password was just changed/);
    expect(sms!.text.length).toBeLessThanOrEqual(160);
    const emails = await until(
      'the security email',
      () => mailTo(pat.email),
      (m) => m.length === 2,
    );
    expect(emails.map((m) => m.subject)).toEqual(['Your Shop password was changed', 'Welcome to Shop']);
  });

  it('sends one welcome for the same event delivered three times', async () => {
    const event = registeredEvent(newId('usr'));
    await putEvents([event, event, event].map((e) => ({ type: e.type, detail: e })));
    await until(
      'three deliveries',
      async () =>
        (await call<{ events: Array<{ detail: { id: string } }> }>('GET', '/_local/events')).body.events.filter(
          (e) => e.detail.id === event.id,
        ).length,
      (n) => n === 3,
    );
    await until(
      'the deliveries to finish',
      () => deliveriesOf(event.id),
      (d) => d.every((x) => x.status === 'delivered'),
    );
    const mails = await mailTo(`${event.data.userId}@example.test`);
    expect(mails).toHaveLength(1);
  });

  it('dead-letters a poison message after three receives while the rest of its batch is delivered once; redrive sends it back', async () => {
    const good = [registeredEvent(newId('usr')), registeredEvent(newId('usr'))];
    const poison = { ...registeredEvent(newId('usr')), data: { userId: newId('usr'), name: 'no email' } };
    await putEvents([good[0]!, poison, good[1]!].map((e) => ({ type: e.type, detail: e })));
    const letter = await until(
      'the poison message in the DLQ',
      () => deadLetterOf(poison.id),
      (d) => d !== undefined,
    );
    expect(letter).toMatchObject({ queue: 'notifications.events', receiveCount: 3, error: 'reported as a batch item failure' });
    for (const e of good) {
      expect(await mailTo(`${e.data.userId}@example.test`)).toHaveLength(1);
      // Received once: the poison message's failures did not bring its batch-mates back.
      expect(await deliveriesOf(e.id)).toEqual([{ subscription: 'notifications.events', status: 'delivered', attempts: 1 }]);
    }

    const redrive = await call<{ moved: number }>('POST', '/_local/dlq/redrive', { body: { messageIds: [letter!.messageId] } });
    expect(redrive.body.moved).toBe(1);
    // Still poison: three more receives and back in the DLQ.
    await until(
      'the redriven message back in the DLQ',
      () => deliveriesOf(poison.id),
      (d) => d[0]?.attempts === 6 && d[0]?.status === 'dead-lettered',
    );
  });

  it('retries an event for a user not known yet, and once the user is known a redrive delivers it exactly once', async () => {
    const userId = newId('usr');
    const confirmed = envelope('order.confirmed', {
      orderId: newId('ord'),
      userId,
      total: { amount: 2598, currency: 'USD' },
      confirmedAt: new Date().toISOString(),
    });
    await putEvents([{ type: confirmed.type, detail: confirmed }]);
    await until(
      'the early event in the DLQ',
      () => deadLetterOf(confirmed.id),
      (d) => d !== undefined,
    );
    expect(await mailTo(`${userId}@example.test`)).toEqual([]);

    const registered = registeredEvent(userId);
    await putEvents([{ type: registered.type, detail: registered }]);
    await until(
      'the welcome',
      () => mailTo(`${userId}@example.test`),
      (m) => m.length === 1,
    );
    const letter = await deadLetterOf(confirmed.id);
    await call('POST', '/_local/dlq/redrive', { body: { messageIds: [letter!.messageId] } });
    const mails = await until(
      'the order mail',
      () => mailTo(`${userId}@example.test`),
      (m) => m.length === 2,
    );
    expect(mails.map((m) => m.subject)).toEqual([`Your order ${confirmed.data.orderId} is confirmed`, 'Welcome to Shop']);
  });

  it('through a provider outage and its recovery, delivers exactly once', async () => {
    const event = registeredEvent(newId('usr'));
    await call('POST', '/_local/mail/outage', { body: { email: true } });
    try {
      await putEvents([{ type: event.type, detail: event }]);
      await until(
        'the message in the DLQ',
        () => deadLetterOf(event.id),
        (d) => d !== undefined,
      );
    } finally {
      await call('POST', '/_local/mail/outage', { body: { email: false } });
    }
    expect(await mailTo(`${event.data.userId}@example.test`)).toEqual([]);
    const letter = await deadLetterOf(event.id);
    await call('POST', '/_local/dlq/redrive', { body: { messageIds: [letter!.messageId] } });
    await until(
      'the delivery',
      () => deliveriesOf(event.id),
      (d) => d[0]?.status === 'delivered',
    );
    expect(await mailTo(`${event.data.userId}@example.test`)).toHaveLength(1);
  });
});

describe('notifications of the order saga', () => {
  const historyOf = (token: string) => call<History>('GET', '/notifications?limit=20', { token });

  it.each([
    ['pm_card_visa', 'CONFIRMED', ['user.registered', 'order.created', 'payment.completed', 'order.confirmed']],
    ['pm_card_chargeDeclined', 'CANCELLED', ['user.registered', 'order.created', 'payment.failed', 'order.cancelled']],
  ])(
    'an order paid with %s (%s) notifies each step once, in order of occurrence, on the history and /_local/mail',
    async (card, status, expected) => {
      const customer = await registerCustomer(call, { name: 'Saga Watcher' });
      const product = await orderableProduct(call, admin, { amount: 1299, stock: 5 });
      const placed = await placeOrder(call, customer.accessToken, [{ productId: product.id, quantity: 2 }], {
        paymentMethod: card,
      });
      expect(placed.status).toBe(202);
      expect((await waitForOrder(call, customer.accessToken, placed.body.id)).status).toBe(status);
      const history = await until(
        'every notification of the order',
        () => historyOf(customer.accessToken),
        (h) => h.body.items.length >= expected.length && h.body.items.every((n) => n.status === 'sent'),
      );
      // Newest first: reversed, it is the order things happened in.
      expect(history.body.items.map((n) => n.eventType).reverse()).toEqual(expected);
      const times = history.body.items.map((n) => n.occurredAt);
      expect([...times].sort().reverse()).toEqual(times);
      const mails = await mailTo(customer.email);
      expect(mails).toHaveLength(expected.length);
      expect(mails.map((m) => m.subject)).toEqual(history.body.items.map((n) => n.subject));
      if (status === 'CONFIRMED') expect(mails[0]!.text).toContain('Total charged: $25.98.');
      else expect(mails[0]!.text).toContain('because the payment was declined');
    },
  );
});
