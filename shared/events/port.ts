import { DependencyFailed } from '../errors.ts';
import type { EventEnvelope } from './envelope.ts';

/** The publisher port: domain code and the outbox relay depend on this, never on EventBridge (no SDK behind this module). */
export interface EventPublisher {
  /** Publishes all events or throws; the ids of events that did go out are in the error's `published`. */
  publish(events: EventEnvelope[]): Promise<void>;
}

/** An event that did not go out; `permanent` when retrying cannot help (it fails its schema). */
export interface FailedEvent {
  id: string;
  reason: string;
  permanent?: boolean;
}

export class PublishFailed extends DependencyFailed {
  constructor(
    readonly published: string[],
    readonly failed: FailedEvent[],
  ) {
    super(`${failed.length} event(s) were not published`, { failed });
  }
}
