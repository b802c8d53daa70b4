import * as z from 'zod';
import { newId } from '../ids.ts';
import { nowIso } from '../time.ts';

/** The `detail` of every EventBridge event: `source` = `shop.<service>`, `detail-type` = `type`. */
export const EventEnvelope = z.object({
  id: z.string().min(1),
  type: z.string().regex(/^[a-z]+(\.[a-z]+)+$/),
  source: z.string().regex(/^shop\.[a-z]+$/),
  occurredAt: z.string().datetime(),
  correlationId: z.string().min(1),
  version: z.number().int().positive(),
  data: z.unknown(),
});
export type EventEnvelope<T = unknown> = Omit<z.infer<typeof EventEnvelope>, 'data'> & { data: T };

export function createEvent<T>(source: string, type: string, data: T, correlationId: string, version = 1): EventEnvelope<T> {
  return { id: newId('evt'), type, source: `shop.${source}`, occurredAt: nowIso(), correlationId, version, data };
}
