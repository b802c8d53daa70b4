import { PublishFailed } from '../../../shared/events/port.ts';
import type { EventPublisher, Outbox, PendingEvents } from './ports.ts';

export interface RelayReport {
  published: number;
  failed: number;
  /** Outbox records this pass took (with or without events). */
  records: number;
}

/**
 * Publishes what an outbox holds, then acknowledges exactly what went out. A crash between the two
 * publishes those events again on the next run: at least once, consumers dedupe on the event id.
 * `beforeAcknowledge` runs per record (stock records re-check low/depleted signals there).
 */
export async function relayOutbox(
  outbox: Outbox,
  publisher: EventPublisher,
  options: { limit?: number; key?: string; beforeAcknowledge?: (record: PendingEvents) => Promise<void> } = {},
): Promise<RelayReport> {
  const records = await outbox.pending(options.limit ?? 100, options.key);
  const report: RelayReport = { published: 0, failed: 0, records: records.length };
  for (const record of records) {
    await options.beforeAcknowledge?.(record);
    let published = record.events.map((e) => e.id);
    if (record.events.length) {
      try {
        await publisher.publish(record.events);
      } catch (error) {
        if (!(error instanceof PublishFailed)) throw error;
        published = error.published;
        report.failed += error.failed.length;
      }
    }
    report.published += published.length;
    const sent = record.events.filter((e) => published.includes(e.id));
    if (sent.length || !record.events.length) await outbox.acknowledge(record.key, sent);
  }
  return report;
}
