import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import { newId } from '../../../shared/ids.ts';
import { ContactUnknown, DeliveryInProgress, ProviderRejected } from './errors.ts';
import type {
  Channel,
  Clock,
  Contact,
  ContactStore,
  EmailProvider,
  NotificationHistory,
  NotificationRecord,
  SentMessage,
  SmsProvider,
} from './ports.ts';
import { isNotifyingEvent, type NotifyingEvent, type Rendered, render, type TemplateData } from './templates.ts';

export interface NotificationsDeps {
  contacts: ContactStore;
  history: NotificationHistory;
  email: EmailProvider;
  sms: SmsProvider;
  clock: Clock;
  /** How long a claim is its worker's alone: longer than one invocation may run (Lambda timeout). */
  leaseSeconds: number;
  /** Told of every delivery's outcome (logs, metrics); never fails the delivery. */
  observe?(outcome: DeliveryOutcome): void;
}

/**
 * - `sent`: sent now. `duplicate`: the history already had it (a redelivery). `recovered`: a worker died after the
 *   provider took it; the provider's record said so and the history was completed without sending again.
 * - `unconfirmed`: a worker died mid-send and the provider cannot be asked; left unsent rather than risk a second copy.
 */
export interface DeliveryOutcome {
  eventId: string;
  eventType: string;
  channel: Channel;
  userId: string;
  result: 'sent' | 'duplicate' | 'recovered' | 'unconfirmed';
}

/** The users events that carry contact data (validated against their registered schemas before they get here). */
interface ContactData {
  userId: string;
  email: string;
  name: string;
  phone: string | null;
}
const CONTACT_EVENTS = new Set(['user.registered', 'user.updated', 'user.password.changed']);

/** E.164 from what the user typed (`+44 20 7946 0958`); a number without its country code cannot be texted. */
export function normalizePhone(raw: string | null): string | null {
  if (!raw) return null;
  const compact = raw.replace(/[\s().-]/g, '');
  return /^\+[1-9][0-9]{6,14}$/.test(compact) ? compact : null;
}

export function contactFrom(data: ContactData, asOf: string): Contact {
  const phone = normalizePhone(data.phone);
  return {
    userId: data.userId,
    email: data.email,
    name: data.name,
    phone,
    preferences: { email: true, sms: phone !== null },
    asOf,
  };
}

/** What the template of each event reads, from the event's validated data. */
function templateData(event: EventEnvelope<Record<string, unknown>>): TemplateData[NotifyingEvent] {
  return event.data as unknown as TemplateData[NotifyingEvent];
}

/**
 * One event off the queue: users events update the contact read model; every event with a template notifies its
 * user on each channel they take, each (event, channel) at most once, however often the event is delivered.
 * Throws (so the message is retried) when the user is not known yet or a provider failed.
 */
export async function handleEvent(
  deps: NotificationsDeps,
  event: EventEnvelope<Record<string, unknown>>,
): Promise<DeliveryOutcome[]> {
  const userId = String(event.data.userId);
  if (CONTACT_EVENTS.has(event.type)) {
    await deps.contacts.upsertIfNewer(contactFrom(event.data as unknown as ContactData, event.occurredAt));
  }
  if (!isNotifyingEvent(event.type)) return [];
  const contact = await deps.contacts.find(userId);
  // Out of order: the user's registration has not been processed yet. Retried, never dropped.
  if (!contact) throw new ContactUnknown(`No contact for user ${userId} yet (${event.type} ${event.id})`);
  const rendered = render(event.type, templateData(event), contact.name);
  const channels: Channel[] = [];
  if (contact.preferences.email) channels.push('email');
  if (contact.preferences.sms && contact.phone && rendered.sms) channels.push('sms');
  const outcomes: DeliveryOutcome[] = [];
  let failure: unknown;
  // Each channel on its own: an SMS outage must not hold back (or re-send) the email.
  for (const channel of channels) {
    try {
      const result = await deliverOnce(deps, event, contact, channel, rendered);
      const outcome = { eventId: event.id, eventType: event.type, channel, userId, result };
      deps.observe?.(outcome);
      outcomes.push(outcome);
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure) throw failure;
  return outcomes;
}

/** The provider-side idempotency key: the same for every delivery of the event to that channel. */
export const idempotencyKey = (eventId: string, channel: Channel) => `${eventId}:${channel}`;

/**
 * Claim, send, record (ADR 0006). The claim is a `sending` row under the unique (eventId, channel) index, so of
 * concurrent deliveries exactly one sends. A claim left `sending` by a dead worker is taken over once its lease has
 * run out, and the provider is asked (by idempotency key) whether it already has the message before anything is
 * sent again; a provider that cannot be asked gets nothing a second time (`unconfirmed`).
 */
async function deliverOnce(
  deps: NotificationsDeps,
  event: EventEnvelope<Record<string, unknown>>,
  contact: Contact,
  channel: Channel,
  rendered: Rendered,
): Promise<DeliveryOutcome['result']> {
  // A redelivery of a finished one is the common duplicate: one read, no failed insert (which costs FerretDB far more).
  const done = await deps.history.find(event.id, channel);
  if (done?.status === 'sent' || done?.status === 'unconfirmed') return 'duplicate';
  const now = deps.clock.now();
  const leaseUntil = new Date(now.getTime() + deps.leaseSeconds * 1000).toISOString();
  const claim = await deps.history.claim({
    id: newId('ntf', now.getTime()),
    eventId: event.id,
    eventType: event.type,
    channel,
    userId: contact.userId,
    to: channel === 'email' ? contact.email : contact.phone!,
    subject: channel === 'email' ? rendered.email.subject : null,
    text: channel === 'email' ? rendered.email.text : rendered.sms!,
    status: 'sending',
    attempts: 1,
    leaseUntil,
    provider: null,
    providerMessageId: null,
    lastError: null,
    occurredAt: event.occurredAt,
    createdAt: now.toISOString(),
    sentAt: null,
    correlationId: event.correlationId,
  });
  let record: NotificationRecord;
  let afterCrash = false;
  if (claim.claimed) record = claim.record;
  else {
    const existing = claim.existing;
    if (existing.status === 'sent' || existing.status === 'unconfirmed') return 'duplicate';
    if (existing.status === 'sending' && existing.leaseUntil && existing.leaseUntil > now.toISOString())
      throw new DeliveryInProgress(`${event.id} ${channel} is being sent by another delivery`);
    const taken = await deps.history.takeOver(event.id, channel, now.toISOString(), leaseUntil);
    if (!taken) {
      const current = await deps.history.find(event.id, channel);
      if (current?.status === 'sent' || current?.status === 'unconfirmed') return 'duplicate';
      throw new DeliveryInProgress(`${event.id} ${channel} was taken over by another delivery`);
    }
    record = taken;
    // `failed` means certainly not sent; `sending` means a worker stopped without knowing (crash, timeout).
    afterCrash = existing.status === 'sending';
  }
  const provider = channel === 'email' ? deps.email : deps.sms;
  const key = idempotencyKey(event.id, channel);
  if (afterCrash) {
    if (!provider.lookup) {
      await deps.history.markUnconfirmed(record, `a delivery stopped mid-send and ${provider.name} cannot be asked`);
      return 'unconfirmed';
    }
    const known = await provider.lookup(key);
    if (known) {
      await complete(deps, record, provider.name, known);
      return 'recovered';
    }
  }
  let sent: SentMessage;
  try {
    sent =
      channel === 'email'
        ? await deps.email.send({ to: record.to, ...rendered.email }, key)
        : await deps.sms.send({ to: record.to, text: rendered.sms! }, key);
  } catch (error) {
    const message = `${provider.name}: ${(error as Error).message}`;
    const certain = error instanceof ProviderRejected;
    // Release at once: a refusal is retried as a fresh send, an ambiguous failure by asking the provider first.
    await deps.history.release(record, {
      status: certain ? 'failed' : 'sending',
      lastError: message,
      leaseUntil: deps.clock.now().toISOString(),
    });
    throw error;
  }
  await complete(deps, record, provider.name, sent);
  return 'sent';
}

async function complete(deps: NotificationsDeps, record: NotificationRecord, provider: string, sent: SentMessage) {
  await deps.history.markSent(record, {
    provider,
    providerMessageId: sent.messageId,
    sentAt: deps.clock.now().toISOString(),
  });
}
