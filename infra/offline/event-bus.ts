import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type ServiceManifest, SUBSCRIPTION_MAX_RECEIVES, SUBSCRIPTION_SOURCE_PREFIX } from '../../shared/service.ts';
import { invoke } from './lambda.ts';

export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName?: string;
  Time?: Date | string | number;
}

export interface DeliveredEvent {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: unknown;
  deliveries: Array<{
    subscription: string;
    status: 'pending' | 'delivered' | 'dead-lettered';
    attempts: number;
    error?: string;
  }>;
}

/** The event as EventBridge hands it to an SQS target: the message body a subscriber parses. */
export function toEventBridgeEvent(event: DeliveredEvent): Record<string, unknown> {
  const { deliveries: _deliveries, ...rest } = event;
  return { version: '0', account: '000000000000', region: 'us-east-1', resources: [], ...rest };
}

interface Rule {
  service: string;
  name: string;
  events: Set<string>;
  handler: string;
  maxReceiveCount: number;
}

/**
 * The offline stand-in for the EventBridge bus plus one SQS queue and DLQ per subscription:
 * rules come from the same manifests CDK builds its rules from; each match is delivered to the
 * subscriber as an SQS batch of one, retried with backoff, and dead-lettered after the last try.
 */
export class LocalEventBus {
  private readonly rules: Rule[];
  readonly log: DeliveredEvent[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly listeners = new Set<(e: DeliveredEvent) => void>();

  constructor(
    services: ServiceManifest[],
    private readonly options: { retryDelayMs?: number; maxLog?: number } = {},
  ) {
    this.rules = services.flatMap((s) =>
      (s.subscriptions ?? []).map((sub) => ({
        service: s.name,
        name: sub.name,
        events: new Set(sub.events),
        handler: sub.handler,
        maxReceiveCount: SUBSCRIPTION_MAX_RECEIVES,
      })),
    );
  }

  onEvent(listener: (e: DeliveredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** PutEvents: accepts every well-formed entry and returns one result per entry, in order. */
  put(entries: BusEntry[]): Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }> {
    return entries.map((entry) => {
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      if (!entry.Source || !entry.DetailType)
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required' };
      const event: DeliveredEvent = {
        id: randomUUID(),
        source: entry.Source,
        'detail-type': entry.DetailType,
        time: new Date(entry.Time ?? Date.now()).toISOString(),
        detail,
        deliveries: [],
      };
      this.log.push(event);
      if (this.log.length > (this.options.maxLog ?? 5_000)) this.log.shift();
      // The same pattern CDK gives each rule: a platform source and one of the subscription's detail-types.
      const matches = this.rules.filter(
        (r) => entry.Source.startsWith(SUBSCRIPTION_SOURCE_PREFIX) && r.events.has(entry.DetailType),
      );
      for (const rule of matches) this.track(this.deliver(event, rule));
      for (const listener of this.listeners) listener(event);
      return { EventId: event.id };
    });
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    p.finally(() => this.inFlight.delete(p));
  }

  /** Resolves when every delivery under way (with its retries) has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  deadLetters(): DeliveredEvent[] {
    return this.log.filter((e) => e.deliveries.some((d) => d.status === 'dead-lettered'));
  }

  private async deliver(event: DeliveredEvent, rule: Rule): Promise<void> {
    const delivery: DeliveredEvent['deliveries'][number] = {
      subscription: `${rule.service}.${rule.name}`,
      status: 'pending',
      attempts: 0,
    };
    event.deliveries.push(delivery);
    const body = JSON.stringify(toEventBridgeEvent(event));
    const messageId = randomUUID();
    for (;;) {
      delivery.attempts++;
      const sqsEvent: SQSEvent = {
        Records: [
          {
            messageId,
            receiptHandle: messageId,
            body,
            attributes: {
              ApproximateReceiveCount: String(delivery.attempts),
              SentTimestamp: String(Date.now()),
              SenderId: 'events.amazonaws.com',
              ApproximateFirstReceiveTimestamp: String(Date.now()),
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:shop-${rule.service}-${rule.name}`,
            awsRegion: 'us-east-1',
          },
        ],
      };
      try {
        const response = await invoke<SQSBatchResponse | undefined>(rule.service, rule.handler, sqsEvent, 30);
        if (!response?.batchItemFailures?.length) {
          delivery.status = 'delivered';
          delete delivery.error;
          return;
        }
        delivery.error = 'reported as a batch item failure';
      } catch (error) {
        delivery.error = (error as Error).message;
      }
      if (delivery.attempts >= rule.maxReceiveCount) {
        delivery.status = 'dead-lettered';
        return;
      }
      await new Promise((r) => setTimeout(r, (this.options.retryDelayMs ?? 200) * 2 ** (delivery.attempts - 1)));
    }
  }
}
