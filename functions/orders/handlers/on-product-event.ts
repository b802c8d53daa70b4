import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import '../../../shared/events/products.ts';
import type { ProductCreated, ProductDeleted, ProductUpdated } from '../../../shared/events/products.ts';
import { validateEvent } from '../../../shared/events/registry.ts';
import { logger } from '../../../shared/observability.ts';
import { ordersApp } from '../composition.ts';
import type { ProductUpdate } from '../domain/ports.ts';

const BusMessage = z.object({ 'detail-type': z.string(), detail: z.unknown() });

/** The price read model's feed: product.created / updated / deleted, validated, applied idempotently by version. */
export function toUpdate(type: string, data: unknown, eventId: string): ProductUpdate {
  if (type === 'product.deleted')
    return { kind: 'delete', productId: (data as z.infer<typeof ProductDeleted>).productId, eventId };
  if (type === 'product.created') {
    const d = data as z.infer<typeof ProductCreated>;
    return { kind: 'upsert', productId: d.productId, name: d.name, price: d.price, version: 1, eventId };
  }
  const d = data as z.infer<typeof ProductUpdated>;
  return { kind: 'upsert', productId: d.productId, name: d.name, price: d.price, version: d.version, eventId };
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const { prices } = await ordersApp();
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const message = BusMessage.parse(JSON.parse(record.body));
      const envelope = validateEvent(message.detail as Parameters<typeof validateEvent>[0]);
      if (envelope.type !== message['detail-type']) throw new Error(`detail-type ${message['detail-type']} != ${envelope.type}`);
      await prices.apply(toUpdate(envelope.type, envelope.data, envelope.id));
    } catch (error) {
      // Retried by the queue, then dead-lettered (with an alarm): a bad event is looked at, never silently dropped.
      logger.error('product event not applied', { messageId: record.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
