import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { config } from '../config.ts';
import { DependencyFailed } from '../errors.ts';
import type { EventEnvelope } from './envelope.ts';
import { validateEvent } from './registry.ts';

/** The publisher port: domain code and the outbox relay depend on this, never on EventBridge. */
export interface EventPublisher {
  /** Publishes all events or throws; the ids of events that did go out are in the error's `published`. */
  publish(events: EventEnvelope[]): Promise<void>;
}

export class PublishFailed extends DependencyFailed {
  constructor(
    readonly published: string[],
    readonly failed: Array<{ id: string; reason: string }>,
  ) {
    super(`${failed.length} event(s) were not published`, { failed });
  }
}

let client: EventBridgeClient | undefined;
function eventBridge(): EventBridgeClient {
  client ??= new EventBridgeClient({
    endpoint: config().EVENTBRIDGE_ENDPOINT,
    maxAttempts: 3,
    requestHandler: { requestTimeout: 3_000, connectionTimeout: 1_000 },
  });
  return client;
}

/** EventBridge adapter: validates, sends in batches of 10 (the PutEvents limit), reports partial failures. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly busName = config().EVENT_BUS_NAME,
    private readonly send: (command: PutEventsCommand) => Promise<PutEventsCommandOutput> = (command) =>
      eventBridge().send(command),
  ) {}

  async publish(events: EventEnvelope[]): Promise<void> {
    const published: string[] = [];
    const failed: Array<{ id: string; reason: string }> = [];
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10).map((e) => validateEvent(e));
      let result: PutEventsCommandOutput;
      try {
        result = await this.send(
          new PutEventsCommand({
            Entries: batch.map((e) => ({
              EventBusName: this.busName,
              Source: e.source,
              DetailType: e.type,
              Time: new Date(e.occurredAt),
              Detail: JSON.stringify(e),
            })),
          }),
        );
      } catch (error) {
        for (const e of batch) failed.push({ id: e.id, reason: (error as Error).message });
        continue;
      }
      batch.forEach((e, index) => {
        const entry = result.Entries?.[index];
        if (entry?.ErrorCode) failed.push({ id: e.id, reason: `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}` });
        else published.push(e.id);
      });
    }
    if (failed.length) throw new PublishFailed(published, failed);
  }
}
