import { cachedOnce } from '../../shared/cache.ts';
import { mongoDatabase } from '../../shared/db/mongo-client.ts';
import type { NotificationHistoryReader } from './domain/ports.ts';
import { MongoHistoryReader, NOTIFICATIONS_COLLECTION, type NotificationDocument } from './store/history-reader.ts';

export interface NotificationsReads {
  history: NotificationHistoryReader;
}

/**
 * The history routes (GET /notifications, GET /notifications/user/{userId}) wired with the bare MongoDB driver: no
 * mongoose, no SES/SNS clients, no event registry. Builds no indexes: only the consumer writes history, and it builds
 * them first (composition.ts). Their handlers must not import composition.ts.
 */
export async function buildNotificationsReads(): Promise<NotificationsReads> {
  const db = await mongoDatabase('notifications');
  return { history: new MongoHistoryReader(db.collection<NotificationDocument>(NOTIFICATIONS_COLLECTION)) };
}

/** Built once per container (per Lambda instance) and reused. */
export const notificationsReads = cachedOnce(buildNotificationsReads);
