export { createEvent, EventEnvelope } from './envelope.ts';
export { enqueueEvents, markProcessed, relayOutbox } from './outbox.ts';
export { EventBridgePublisher, type EventPublisher, PublishFailed } from './publisher.ts';
export { eventSchema, eventsOf, registerEvents, registeredEvents, validateEvent } from './registry.ts';

import './orders.ts';
import './payments.ts';
import './products.ts';
import './users.ts';
