import mongoose, { type Collection, type Connection } from 'mongoose';
import { newId } from '../../../shared/ids.ts';
import { ProviderRejected } from '../domain/errors.ts';
import type { Channel, Clock, EmailMessage, EmailProvider, SentMessage, SmsMessage, SmsProvider } from '../domain/ports.ts';
import { isDuplicateKey } from '../store/notifications-mongo.ts';

/** A message the recording provider "sent": what SES or SNS would have received, kept for /_local/mail and tests. */
export interface RecordedMessage {
  idempotencyKey: string;
  messageId: string;
  channel: Channel;
  to: string;
  subject: string | null;
  text: string;
  html: string | null;
  recordedAt: string;
}

const schema = new mongoose.Schema(
  {
    _id: { type: String, required: true },
    messageId: { type: String, required: true },
    channel: { type: String, required: true },
    to: { type: String, required: true },
    subject: { type: String, default: null },
    text: { type: String, required: true },
    html: { type: String, default: null },
    recordedAt: { type: String, required: true },
  },
  { collection: 'recorded_messages', versionKey: false, strict: 'throw' },
);
schema.index({ recordedAt: -1 });

type RecordedDocument = Omit<RecordedMessage, 'idempotencyKey'> & { _id: string };

/**
 * Switches for trying failure offline (`POST /_local/mail/outage`) and in tests: while on, the provider of that
 * channel refuses every message, as a provider outage would.
 */
export const recordingOutage: Record<Channel, boolean> = { email: false, sms: false };

/**
 * The default provider: records every message instead of sending it, keyed by its idempotency key, so a second send
 * with the same key returns the first message (as a provider with idempotency keys does) and `lookup` can answer.
 */
export class RecordedMessages {
  private readonly model: mongoose.Model<RecordedDocument>;
  constructor(
    connection: Connection,
    private readonly clock: Clock,
  ) {
    this.model = (connection.models.RecordedMessage ??
      connection.model('RecordedMessage', schema)) as mongoose.Model<RecordedDocument>;
  }
  private get collection(): Collection<RecordedDocument> {
    return this.model.collection as unknown as Collection<RecordedDocument>;
  }
  async init(): Promise<void> {
    await this.model.init();
  }

  async record(
    channel: Channel,
    key: string,
    message: Omit<RecordedMessage, 'idempotencyKey' | 'messageId' | 'channel' | 'recordedAt'>,
  ) {
    if (recordingOutage[channel]) throw new ProviderRejected(`recording ${channel} provider is switched to an outage`);
    const now = this.clock.now();
    const doc: RecordedDocument = {
      _id: key,
      messageId: newId('msg', now.getTime()),
      channel,
      ...message,
      recordedAt: now.toISOString(),
    };
    try {
      await this.collection.insertOne(doc);
      return { messageId: doc.messageId };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return (await this.lookup(key))!;
    }
  }

  async lookup(key: string): Promise<SentMessage | null> {
    const doc = await this.collection.findOne({ _id: key });
    return doc ? { messageId: doc.messageId } : null;
  }

  /** Newest first, optionally only those to one address or number. */
  async list(options: { to?: string; limit?: number } = {}): Promise<RecordedMessage[]> {
    const docs = await this.collection
      .find(options.to ? { to: options.to } : {}, { sort: { recordedAt: -1, _id: -1 }, limit: options.limit ?? 200 })
      .toArray();
    return docs.map(({ _id, ...rest }) => ({ idempotencyKey: _id, ...rest }));
  }

  async clear(): Promise<void> {
    await this.collection.deleteMany({});
  }

  emailProvider(): EmailProvider {
    return {
      name: 'recording',
      send: (m: EmailMessage, key: string) =>
        this.record('email', key, { to: m.to, subject: m.subject, text: m.text, html: m.html }),
      lookup: (key: string) => this.lookup(key),
    };
  }

  smsProvider(): SmsProvider {
    return {
      name: 'recording',
      send: (m: SmsMessage, key: string) => this.record('sms', key, { to: m.to, subject: null, text: m.text, html: null }),
      lookup: (key: string) => this.lookup(key),
    };
  }
}
