import { poolFor } from '../../../shared/db/postgres.ts';
import { relayOutbox } from '../../../shared/events/outbox.ts';
import { EventBridgePublisher } from '../../../shared/events/publisher.ts';
import '../../../shared/events/users.ts';

const publisher = new EventBridgePublisher();

/** The scheduled sweep of the outbox: whatever the per-request fast path did not publish goes out here. */
export const handler = async () => relayOutbox(await poolFor('users'), publisher);
