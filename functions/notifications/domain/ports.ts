export type Channel = 'email' | 'sms';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** What the service knows of a user, kept from the users events (never asked of the users service per message). */
export interface Contact {
  userId: string;
  email: string;
  name: string;
  /** E.164 (`+447946000000`), or null when the user gave none or one that cannot be dialled internationally. */
  phone: string | null;
  preferences: { email: boolean; sms: boolean };
  /** Time of the users event this state comes from: an older event never overwrites a newer one. */
  asOf: string;
}

export interface ContactStore {
  find(userId: string): Promise<Contact | null>;
  /** Stores the contact unless a newer event already did; true when it was written. */
  upsertIfNewer(contact: Contact): Promise<boolean>;
}

/**
 * - `sending`: claimed; the provider may or may not have it (a worker is on it while `leaseUntil` is ahead).
 * - `sent`: the provider accepted it (`providerMessageId`).
 * - `failed`: the provider refused it for certain; the next delivery of the event sends it again.
 * - `unconfirmed`: a worker died mid-send and the provider cannot be asked; never sent again (see ADR 0006).
 */
export type NotificationStatus = 'sending' | 'sent' | 'failed' | 'unconfirmed';

export interface NotificationRecord {
  id: string;
  eventId: string;
  eventType: string;
  channel: Channel;
  userId: string;
  /** Email address or phone number. */
  to: string;
  subject: string | null;
  /** The plain text (email) or the SMS itself. */
  text: string;
  status: NotificationStatus;
  attempts: number;
  leaseUntil: string | null;
  provider: string | null;
  providerMessageId: string | null;
  lastError: string | null;
  /** When the event happened: the history's order. */
  occurredAt: string;
  createdAt: string;
  sentAt: string | null;
  correlationId: string;
}

/** A notification is named by its event and channel: the dedupe key, also its key in the store. */
export type NotificationRef = Pick<NotificationRecord, 'eventId' | 'channel'>;

export type ClaimResult = { claimed: true; record: NotificationRecord } | { claimed: false; existing: NotificationRecord };

export interface HistoryQuery {
  userId?: string;
  after?: { occurredAt: string; id: string };
  limit: number;
}

/** What the history routes read (served without the consumer's dependencies). */
export interface NotificationHistoryReader {
  list(query: HistoryQuery): Promise<NotificationRecord[]>;
}

export interface NotificationHistory extends NotificationHistoryReader {
  /** Inserts the record as `sending`; the unique (eventId, channel) index makes one writer the owner. */
  claim(record: NotificationRecord): Promise<ClaimResult>;
  /**
   * Takes over a claim that nobody holds (`failed`, or `sending` with its lease run out) for a new lease;
   * null when someone else took it first or it no longer needs taking.
   */
  takeOver(eventId: string, channel: Channel, now: string, leaseUntil: string): Promise<NotificationRecord | null>;
  markSent(ref: NotificationRef, update: { provider: string; providerMessageId: string; sentAt: string }): Promise<void>;
  /** Ends the attempt without a result: `failed` (certainly not sent) or `sending` with the lease given up (unknown). */
  release(ref: NotificationRef, update: { status: 'failed' | 'sending'; lastError: string; leaseUntil: string }): Promise<void>;
  markUnconfirmed(ref: NotificationRef, lastError: string): Promise<void>;
  find(eventId: string, channel: Channel): Promise<NotificationRecord | null>;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}
export interface SmsMessage {
  to: string;
  text: string;
}

export interface SentMessage {
  messageId: string;
}

interface Provider<M> {
  /** Names the provider in the history (`recording`, `ses`, `sns`). */
  readonly name: string;
  /**
   * Sends once per idempotency key where the provider supports it. Throws `ProviderRejected` when the provider
   * certainly did not take the message (a refusal, a throttle, a connection refused); anything else is ambiguous.
   */
  send(message: M, idempotencyKey: string): Promise<SentMessage>;
  /** The provider's own record of a message sent under this key; absent when the provider cannot be asked. */
  lookup?(idempotencyKey: string): Promise<SentMessage | null>;
}
export type EmailProvider = Provider<EmailMessage>;
export type SmsProvider = Provider<SmsMessage>;
