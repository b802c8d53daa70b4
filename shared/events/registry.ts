import type * as z from 'zod';
import { ValidationFailed } from '../errors.ts';
import { zodIssues } from '../http/errors.ts';
import { EventEnvelope } from './envelope.ts';

/**
 * Every event's data schema, by event name. Each service registers the events it publishes
 * in `shared/events/<service>.ts`; producers validate before publishing, consumers on receipt.
 */
const schemas = new Map<string, { source: string; schema: z.ZodType }>();

export function registerEvents(source: string, events: Record<string, z.ZodType>): void {
  for (const [type, schema] of Object.entries(events)) schemas.set(type, { source: `shop.${source}`, schema });
}

export function eventSchema(type: string): z.ZodType | undefined {
  return schemas.get(type)?.schema;
}

export function registeredEvents(): string[] {
  return [...schemas.keys()].sort();
}

/** The event types registered for one service (source `shop.<service>`). */
export function eventsOf(service: string): string[] {
  return [...schemas.entries()]
    .filter(([, entry]) => entry.source === `shop.${service}`)
    .map(([type]) => type)
    .sort();
}

export function validateEvent<T>(event: EventEnvelope<T>): EventEnvelope<T> {
  const envelope = EventEnvelope.safeParse(event);
  if (!envelope.success) throw new ValidationFailed(`Invalid envelope of ${event.type} event`, zodIssues(envelope.error));
  const entry = schemas.get(event.type);
  if (!entry) throw new ValidationFailed(`Unknown event type ${event.type}`);
  if (entry.source !== event.source)
    throw new ValidationFailed(`${event.type} must come from ${entry.source}, not ${event.source}`);
  const parsed = entry.schema.safeParse(event.data);
  if (!parsed.success) throw new ValidationFailed(`Invalid ${event.type} event`, zodIssues(parsed.error));
  return { ...event, data: parsed.data as T };
}
