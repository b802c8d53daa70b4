import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { config } from '../config.ts';
import type { EventEnvelope } from './envelope.ts';
import { type EventPublisher, type FailedEvent, PublishFailed } from './port.ts';
import { validateEvent } from './registry.ts';

// Adapters and tests import the port from here too; domain code imports `./port.ts`, which loads no SDK.
export { type EventPublisher, PublishFailed } from './port.ts';

let client: EventBridgeClient | undefined;
function eventBridge(): EventBridgeClient {
  client ??= new EventBridgeClient({
    endpoint: config().EVENTBRIDGE_ENDPOINT,
    maxAttempts: 3,
    requestHandler: { requestTimeout: 3_000, connectionTimeout: 1_000 },
  });
  return client;
}

/**
 * EventBridge adapter: validates, sends in batches of 10 (the PutEvents limit), reports partial failures. An event that
 * fails its schema is reported as failed and never sent; the valid ones still go, so one bad outbox row cannot hold
 * back (or keep re-sending) the rows around it.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly busName = config().EVENT_BUS_NAME,
    private readonly send: (command: PutEventsCommand) => Promise<PutEventsCommandOutput> = (command) =>
      eventBridge().send(command),
  ) {}

  async publish(events: EventEnvelope[]): Promise<void> {
    const published: string[] = [];
    const failed: FailedEvent[] = [];
    const valid: EventEnvelope[] = [];
    for (const event of events) {
      try {
        valid.push(validateEvent(event));
      } catch (error) {
        failed.push({ id: event.id, reason: (error as Error).message, permanent: true });
      }
    }
    for (let i = 0; i < valid.length; i += 10) {
      const batch = valid.slice(i, i + 10);
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
