import mongoose, { type Collection, type Connection } from 'mongoose';
import { mongoUnavailable } from '../../../shared/db/mongo-client.ts';
import type {
  Channel,
  ClaimResult,
  Contact,
  ContactStore,
  HistoryQuery,
  NotificationHistory,
  NotificationRecord,
  NotificationRef,
} from '../domain/ports.ts';
import { MongoHistoryReader, NOTIFICATIONS_COLLECTION, type NotificationDocument, toRecord } from './history-reader.ts';

/** MongoDB's duplicate key error (FerretDB and DocumentDB answer with the same code). */
export const isDuplicateKey = (error: unknown): boolean => (error as { code?: number } | null)?.code === 11000;

const contactSchema = new mongoose.Schema(
  {
    _id: { type: String, required: true },
    email: { type: String, required: true },
    name: { type: String, required: true },
    phone: { type: String, default: null },
    preferences: { email: Boolean, sms: Boolean },
    asOf: { type: String, required: true },
  },
  { collection: 'contacts', versionKey: false, strict: 'throw' },
);

const notificationSchema = new mongoose.Schema(
  {
    _id: { type: String, required: true },
    id: { type: String, required: true },
    eventId: { type: String, required: true },
    eventType: { type: String, required: true },
    channel: { type: String, required: true },
    userId: { type: String, required: true },
    to: { type: String, required: true },
    subject: { type: String, default: null },
    text: { type: String, required: true },
    status: { type: String, required: true },
    attempts: { type: Number, required: true },
    leaseUntil: { type: String, default: null },
    provider: { type: String, default: null },
    providerMessageId: { type: String, default: null },
    lastError: { type: String, default: null },
    occurredAt: { type: String, required: true },
    createdAt: { type: String, required: true },
    sentAt: { type: String, default: null },
    correlationId: { type: String, required: true },
  },
  { collection: NOTIFICATIONS_COLLECTION, versionKey: false, strict: 'throw' },
);
// Exactly once per (event, channel): of concurrent deliveries of one event, one insert wins the claim.
notificationSchema.index({ eventId: 1, channel: 1 }, { unique: true, name: 'event_channel_unique' });
// The two listings, newest first with the id as tie-break.
notificationSchema.index({ userId: 1, occurredAt: -1, id: -1 });
notificationSchema.index({ occurredAt: -1, id: -1 });

type ContactDocument = Omit<Contact, 'userId'> & { _id: string };

const toContact = ({ _id, ...rest }: ContactDocument): Contact => ({ userId: _id, ...rest });
/**
 * The document key is the pair itself (`<eventId>:<channel>`): FerretDB answers an `_id` lookup without scanning (it
 * pushes no other filter down), and a second insert of the pair fails on the key as well as on the unique index.
 */
const keyOf = (ref: NotificationRef) => `${ref.eventId}:${ref.channel}`;

export class MongoContactStore implements ContactStore {
  private readonly model: mongoose.Model<ContactDocument>;
  constructor(connection: Connection) {
    this.model = (connection.models.Contact ?? connection.model('Contact', contactSchema)) as mongoose.Model<ContactDocument>;
  }
  private get collection(): Collection<ContactDocument> {
    return this.model.collection as unknown as Collection<ContactDocument>;
  }
  async init(): Promise<void> {
    await this.model.init();
  }

  async find(userId: string): Promise<Contact | null> {
    const doc = await this.collection.findOne({ _id: userId }).catch(mongoUnavailable);
    return doc ? toContact(doc) : null;
  }

  async upsertIfNewer(contact: Contact): Promise<boolean> {
    const { userId, ...fields } = contact;
    try {
      // Matches only a stored contact that is not newer; when a newer one exists, the upsert's insert hits its _id.
      await this.collection.updateOne({ _id: userId, asOf: { $lte: contact.asOf } }, { $set: fields }, { upsert: true });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async clear(): Promise<void> {
    await this.collection.deleteMany({});
  }
}

export class MongoNotificationHistory implements NotificationHistory {
  private readonly model: mongoose.Model<NotificationDocument>;
  /** The listing, shared with the history routes' mongoose-free path (read-composition.ts). */
  private readonly reader: MongoHistoryReader;
  constructor(connection: Connection) {
    this.model = (connection.models.Notification ??
      connection.model('Notification', notificationSchema)) as mongoose.Model<NotificationDocument>;
    this.reader = new MongoHistoryReader(this.collection);
  }
  private get collection(): Collection<NotificationDocument> {
    return this.model.collection as unknown as Collection<NotificationDocument>;
  }
  /** Builds the indexes (the unique one included) once per container; delivery is not safe without it. */
  async init(): Promise<void> {
    await this.model.init();
  }

  /** The collection's indexes (tests check the unique one is really there). */
  indexes() {
    return this.collection.indexes();
  }

  async claim(record: NotificationRecord): Promise<ClaimResult> {
    try {
      await this.collection.insertOne({ _id: keyOf(record), ...record });
      return { claimed: true, record };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.find(record.eventId, record.channel);
      if (!existing) throw error;
      return { claimed: false, existing };
    }
  }

  async takeOver(eventId: string, channel: Channel, now: string, leaseUntil: string): Promise<NotificationRecord | null> {
    const doc = await this.collection.findOneAndUpdate(
      { _id: keyOf({ eventId, channel }), $or: [{ status: 'failed' }, { status: 'sending', leaseUntil: { $lte: now } }] },
      { $set: { status: 'sending', leaseUntil }, $inc: { attempts: 1 } },
      { returnDocument: 'after' },
    );
    return doc ? toRecord(doc) : null;
  }

  async markSent(ref: NotificationRef, update: { provider: string; providerMessageId: string; sentAt: string }): Promise<void> {
    // Only a claim completes (FerretDB 1.24 also scans for an update filtered on `_id` alone, not with a second field).
    await this.collection.updateOne(
      { _id: keyOf(ref), status: 'sending' },
      { $set: { ...update, status: 'sent', leaseUntil: null, lastError: null } },
    );
  }

  async release(
    ref: NotificationRef,
    update: { status: 'failed' | 'sending'; lastError: string; leaseUntil: string },
  ): Promise<void> {
    await this.collection.updateOne({ _id: keyOf(ref), status: 'sending' }, { $set: update });
  }

  async markUnconfirmed(ref: NotificationRef, lastError: string): Promise<void> {
    await this.collection.updateOne(
      { _id: keyOf(ref), status: 'sending' },
      { $set: { status: 'unconfirmed', lastError, leaseUntil: null } },
    );
  }

  async find(eventId: string, channel: Channel): Promise<NotificationRecord | null> {
    const doc = await this.collection.findOne({ _id: keyOf({ eventId, channel }) });
    return doc ? toRecord(doc) : null;
  }

  list(query: HistoryQuery): Promise<NotificationRecord[]> {
    return this.reader.list(query);
  }

  /** Everything, for tests and benches. */
  async clear(): Promise<void> {
    await this.collection.deleteMany({});
  }
}
