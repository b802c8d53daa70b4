import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type ServiceManifest, SUBSCRIPTION_MAX_RECEIVES, SUBSCRIPTION_SOURCE_PREFIX } from '../../shared/service.ts';
import { invoke } from './lambda.ts';

export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName?: string;
  Time?: Date | string | number;
}

export interface Delivery {
  subscription: string;
  status: 'pending' | 'delivered' | 'dead-lettered';
  /** Receives of the message by its subscriber, over all its trips (a redrive starts the queue's count again). */
  attempts: number;
  error?: string;
}

export interface DeliveredEvent {
  id: string;
  source: string;
  'detail-type': string;
  time: string;
  detail: unknown;
  deliveries: Delivery[];
}

/** A message in a subscription's dead-letter queue (`/_local/dlq`). */
export interface DeadLetter {
  queue: string;
  messageId: string;
  receiveCount: number;
  /** Why its last receive failed: the thrown error, or that the subscriber reported it as a batch item failure. */
  error: string;
  deadLetteredAt: string;
  event: Omit<DeliveredEvent, 'deliveries'>;
}

/** The event as EventBridge hands it to an SQS target: the message body a subscriber parses. */
export function toEventBridgeEvent(event: DeliveredEvent): Record<string, unknown> {
  const { deliveries: _deliveries, ...rest } = event;
  return { version: '0', account: '000000000000', region: 'us-east-1', resources: [], ...rest };
}

interface Message {
  messageId: string;
  body: string;
  event: DeliveredEvent;
  delivery: Delivery;
  receiveCount: number;
  firstReceivedAt?: number;
  sentAt: number;
  visibleAt: number;
  inFlight: boolean;
}

interface Queue {
  service: string;
  name: string;
  events: Set<string>;
  handler: string;
  batchSize: number;
  maxReceiveCount: number;
  messages: Message[];
  deadLetters: Array<DeadLetter & { message: Message }>;
  running: number;
  timer?: NodeJS.Timeout;
  wakeAt?: number;
}

export interface LocalEventBusOptions {
  /**
   * How long a received message stays hidden (SQS visibility timeout): a failed one comes back this long after its
   * receive, and never while its invocation still runs (CDK sets the queue's to 6 times the function timeout).
   * Default 1 s offline (180 s deployed), so a failing message reaches the DLQ in seconds.
   */
  visibilityTimeoutMs?: number;
  /** @deprecated the former name of `visibilityTimeoutMs`. */
  retryDelayMs?: number;
  /** How long the poller waits for more messages before invoking with a partial batch (the event source's batch window). */
  batchWindowMs?: number;
  /** Batches of one queue invoked at once (Lambda scales out per queue; offline a small number). */
  maxConcurrency?: number;
  maxLog?: number;
}

/**
 * The offline stand-in for the EventBridge bus plus one SQS queue and DLQ per subscription: rules come from the same
 * manifests CDK builds its rules from. Each queue is polled like Lambda's event source: batches of up to the
 * subscription's batch size after a short batch window, a visibility timeout, a receive count on every record,
 * partial batch failures (only the reported records come back), and a DLQ after SUBSCRIPTION_MAX_RECEIVES receives,
 * which `redrive` moves back.
 */
export class LocalEventBus {
  private readonly queues: Queue[];
  readonly log: DeliveredEvent[] = [];
  private readonly listeners = new Set<(e: DeliveredEvent) => void>();
  private readonly visibilityTimeoutMs: number;
  private readonly batchWindowMs: number;
  private readonly maxConcurrency: number;

  constructor(
    services: ServiceManifest[],
    private readonly options: LocalEventBusOptions = {},
  ) {
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? options.retryDelayMs ?? 1_000;
    this.batchWindowMs = options.batchWindowMs ?? 20;
    this.maxConcurrency = options.maxConcurrency ?? 2;
    this.queues = services.flatMap((s) =>
      (s.subscriptions ?? []).map((sub) => ({
        service: s.name,
        name: sub.name,
        events: new Set(sub.events),
        handler: sub.handler,
        batchSize: sub.batchSize ?? 10,
        maxReceiveCount: SUBSCRIPTION_MAX_RECEIVES,
        messages: [],
        deadLetters: [],
        running: 0,
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
      const matches = this.queues.filter(
        (q) => entry.Source.startsWith(SUBSCRIPTION_SOURCE_PREFIX) && q.events.has(entry.DetailType),
      );
      for (const queue of matches) this.send(queue, event);
      for (const listener of this.listeners) listener(event);
      return { EventId: event.id };
    });
  }

  private send(queue: Queue, event: DeliveredEvent): void {
    const delivery: Delivery = { subscription: `${queue.service}.${queue.name}`, status: 'pending', attempts: 0 };
    event.deliveries.push(delivery);
    const now = Date.now();
    queue.messages.push({
      messageId: randomUUID(),
      body: JSON.stringify(toEventBridgeEvent(event)),
      event,
      delivery,
      receiveCount: 0,
      sentAt: now,
      visibleAt: now,
      inFlight: false,
    });
    this.wake(queue, now + this.batchWindowMs);
  }

  /** Polls the queue at `at` (or sooner if already due then). */
  private wake(queue: Queue, at: number): void {
    if (queue.timer && queue.wakeAt !== undefined && queue.wakeAt <= at) return;
    clearTimeout(queue.timer);
    queue.wakeAt = at;
    queue.timer = setTimeout(
      () => {
        queue.timer = undefined;
        queue.wakeAt = undefined;
        this.poll(queue);
      },
      Math.max(0, at - Date.now()),
    );
  }

  private poll(queue: Queue): void {
    const now = Date.now();
    while (queue.running < this.maxConcurrency) {
      const batch = queue.messages.filter((m) => !m.inFlight && m.visibleAt <= now).slice(0, queue.batchSize);
      if (!batch.length) break;
      queue.running++;
      void this.receive(queue, batch).finally(() => {
        queue.running--;
        this.poll(queue);
      });
    }
    const waiting = queue.messages.filter((m) => !m.inFlight).map((m) => m.visibleAt);
    if (waiting.length && queue.running < this.maxConcurrency) this.wake(queue, Math.min(...waiting));
  }

  private async receive(queue: Queue, batch: Message[]): Promise<void> {
    const receivedAt = Date.now();
    for (const m of batch) {
      m.inFlight = true;
      m.receiveCount++;
      m.firstReceivedAt ??= receivedAt;
      m.delivery.attempts++;
    }
    const records: SQSRecord[] = batch.map((m) => ({
      messageId: m.messageId,
      receiptHandle: randomUUID(),
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'events.amazonaws.com',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:shop-${queue.service}-${queue.name}`,
      awsRegion: 'us-east-1',
    }));
    let failed: Map<Message, string>;
    try {
      const response = await invoke<SQSBatchResponse | undefined>(
        queue.service,
        queue.handler,
        { Records: records } satisfies SQSEvent,
        30,
      );
      const reported = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      // As Lambda does: an identifier that is not in the batch fails the whole batch.
      const unknown = [...reported].some((id) => !batch.some((m) => m.messageId === id));
      failed = new Map(
        batch
          .filter((m) => unknown || reported.has(m.messageId))
          .map((m) => [m, unknown ? 'reported an unknown batch item failure' : 'reported as a batch item failure']),
      );
    } catch (error) {
      failed = new Map(batch.map((m) => [m, (error as Error).message]));
    }
    const now = Date.now();
    for (const m of batch) {
      m.inFlight = false;
      const error = failed.get(m);
      if (error === undefined) {
        m.delivery.status = 'delivered';
        delete m.delivery.error;
        this.remove(queue, m);
      } else if (m.receiveCount >= queue.maxReceiveCount) {
        m.delivery.status = 'dead-lettered';
        m.delivery.error = error;
        this.remove(queue, m);
        const { deliveries: _d, ...event } = m.event;
        queue.deadLetters.push({
          queue: `${queue.service}.${queue.name}`,
          messageId: m.messageId,
          receiveCount: m.receiveCount,
          error,
          deadLetteredAt: new Date(now).toISOString(),
          event,
          message: m,
        });
      } else {
        m.delivery.error = error;
        m.visibleAt = Math.max(receivedAt + this.visibilityTimeoutMs, now);
      }
    }
  }

  private remove(queue: Queue, message: Message): void {
    queue.messages.splice(queue.messages.indexOf(message), 1);
  }

  /** Resolves when every queue is empty: each message delivered or dead-lettered. */
  async drain(): Promise<void> {
    while (this.queues.some((q) => q.messages.length || q.running)) await new Promise((r) => setTimeout(r, 5));
  }

  deadLetters(): DeadLetter[] {
    return this.queues.flatMap((q) => q.deadLetters.map(({ message: _m, ...letter }) => letter));
  }

  /** Each subscription's queue depth, for `/_local/dlq`. */
  queueStats(): Array<{ queue: string; messages: number; inFlight: number; deadLetters: number }> {
    return this.queues.map((q) => ({
      queue: `${q.service}.${q.name}`,
      messages: q.messages.length,
      inFlight: q.messages.filter((m) => m.inFlight).length,
      deadLetters: q.deadLetters.length,
    }));
  }

  /**
   * Moves dead letters back to their queue with a fresh receive count (SQS's DLQ redrive), all of them or those of
   * one queue (`notifications.events`) or with the given message ids. Returns how many moved.
   */
  redrive(filter: { queue?: string; messageIds?: string[] } = {}): number {
    let moved = 0;
    const now = Date.now();
    for (const queue of this.queues) {
      if (filter.queue && filter.queue !== `${queue.service}.${queue.name}`) continue;
      const chosen = queue.deadLetters.filter((d) => !filter.messageIds || filter.messageIds.includes(d.messageId));
      queue.deadLetters = queue.deadLetters.filter((d) => !chosen.includes(d));
      for (const { message } of chosen) {
        message.receiveCount = 0;
        message.visibleAt = now;
        message.delivery.status = 'pending';
        queue.messages.push(message);
        moved++;
      }
      if (chosen.length) this.wake(queue, now);
    }
    return moved;
  }
}
