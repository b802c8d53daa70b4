import type { Collection } from 'mongodb';
import { mongoUnavailable } from '../../../shared/db/mongo-client.ts';
import type { HistoryQuery, NotificationHistoryReader, NotificationRecord } from '../domain/ports.ts';

/** The history's collection, for the reader and for the mongoose model in notifications-mongo.ts. */
export const NOTIFICATIONS_COLLECTION = 'notifications';

export type NotificationDocument = NotificationRecord & { _id: string };

export const toRecord = ({ _id, ...rest }: NotificationDocument): NotificationRecord => rest;

/**
 * The history listing over a bare driver collection, with no mongoose: the two GET routes use it directly
 * (read-composition.ts) and MongoNotificationHistory delegates its listing to it, so both answer alike.
 */
export class MongoHistoryReader implements NotificationHistoryReader {
  constructor(private readonly collection: Collection<NotificationDocument>) {}

  async list(query: HistoryQuery): Promise<NotificationRecord[]> {
    const and: Record<string, unknown>[] = [];
    if (query.userId) and.push({ userId: query.userId });
    if (query.after)
      and.push({
        $or: [
          { occurredAt: { $lt: query.after.occurredAt } },
          { occurredAt: query.after.occurredAt, id: { $lt: query.after.id } },
        ],
      });
    const filter = and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and };
    const docs = await this.collection
      .find(filter, { sort: { occurredAt: -1, id: -1 }, limit: query.limit })
      .toArray()
      .catch(mongoUnavailable);
    return docs.map(toRecord);
  }
}
