import type { EventEnvelope } from '../../shared/events/envelope.ts';
import { type EventPublisher, PublishFailed } from '../../shared/events/port.ts';

/** The bus for integration tests: keeps what was published; `failing` makes every publish fail as a bus outage would. */
export class RecordingPublisher implements EventPublisher {
  published: EventEnvelope[] = [];
  failing = false;
  async publish(events: EventEnvelope[]): Promise<void> {
    if (this.failing)
      throw new PublishFailed(
        [],
        events.map((e) => ({ id: e.id, reason: 'bus is down' })),
      );
    this.published.push(...events);
  }
}
