import { notificationsService, recordsAtOnce } from '../composition.ts';
import { handleEvent } from '../domain/notifications.ts';
import { sqsBatchHandler } from './sqs-batch.ts';

/** The subscription's queue consumer: contact updates and notifications, with partial batch failures. */
export const handler = sqsBatchHandler(async (envelope) => handleEvent((await notificationsService()).deps, envelope), {
  concurrency: recordsAtOnce,
});
