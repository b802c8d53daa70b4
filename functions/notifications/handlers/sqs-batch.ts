import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { ValidationFailed } from '../../../shared/errors.ts';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import { validateEvent } from '../../../shared/events/registry.ts';
import { zodIssues } from '../../../shared/http/errors.ts';
import { logger, metrics, metricsEnabled } from '../../../shared/observability.ts';
import { SUBSCRIPTION_MAX_RECEIVES } from '../../../shared/service.ts';

/** What an EventBridge rule puts on the queue: the event, whose `detail` is our envelope. */
const EventBridgeMessage = z.object({
  source: z.string(),
  'detail-type': z.string(),
  detail: z.record(z.string(), z.unknown()),
});

/** The envelope of one SQS record, checked against the event's registered schema; a mismatch is a poison message. */
export function parseRecord(record: SQSRecord): EventEnvelope<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new ValidationFailed('The message body is not JSON');
  }
  const message = EventBridgeMessage.safeParse(body);
  if (!message.success) throw new ValidationFailed('Not an EventBridge event', zodIssues(message.error));
  const { source, 'detail-type': type, detail } = message.data;
  if (detail.type !== type || detail.source !== source)
    throw new ValidationFailed(
      `The envelope says ${String(detail.type)} from ${String(detail.source)}, the rule ${type} from ${source}`,
    );
  return validateEvent(detail as unknown as EventEnvelope<Record<string, unknown>>);
}

/**
 * An SQS batch consumer reporting partial batch failures (ReportBatchItemFailures): each record is handled on its
 * own and only the failed ones go back to the queue, so one bad message never blocks or re-sends the rest.
 */
export function sqsBatchHandler(
  process: (envelope: EventEnvelope<Record<string, unknown>>) => Promise<unknown>,
  options: { concurrency?: () => number } = {},
) {
  const handleRecord = async (record: SQSRecord, failed: string[]) => {
    try {
      await process(parseRecord(record));
    } catch (error) {
      failed.push(record.messageId);
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1);
      const context = {
        messageId: record.messageId,
        receives,
        error: error as Error,
        reason: `${(error as Error).name}: ${(error as Error).message}`,
      };
      // On its last receive the queue moves it to the DLQ next: that is where the reason must be on record.
      if (receives >= SUBSCRIPTION_MAX_RECEIVES) logger.error('message failed for the last time; it goes to the DLQ', context);
      else logger.warn('message failed; it will be retried', context);
    }
  };
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failed: string[] = [];
    const waiting = [...event.Records];
    const workers = Math.max(1, Math.min(options.concurrency?.() ?? waiting.length, waiting.length));
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let record = waiting.shift(); record; record = waiting.shift()) await handleRecord(record, failed);
      }),
    );
    // Business metrics are flushed per invocation, as the HTTP stack and saga tasks do.
    if (metricsEnabled()) metrics.publishStoredMetrics();
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
