import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ValidationFailed } from '../errors.ts';
import { createEvent } from './envelope.ts';
import { registerEvents, validateEvent } from './registry.ts';

registerEvents('registry', { 'registry.thing.done': z.object({ n: z.number().int() }) });

describe('validateEvent', () => {
  it('accepts a well-formed event and checks its data, source and envelope', () => {
    const event = createEvent('registry', 'registry.thing.done', { n: 1 }, 'corr-1');
    expect(validateEvent(event)).toEqual(event);
    expect(() => validateEvent({ ...event, data: { n: 1.5 } })).toThrow(/Invalid registry.thing.done/);
    expect(() => validateEvent({ ...event, source: 'shop.other' })).toThrow(/must come from shop.registry/);
    expect(() => validateEvent({ ...event, type: 'registry.unknown' })).toThrow(ValidationFailed);
  });

  it('refuses an envelope consumers would refuse: empty correlation id, bad time, bad version', () => {
    const event = createEvent('registry', 'registry.thing.done', { n: 1 }, 'corr-1');
    for (const broken of [{ correlationId: '' }, { occurredAt: 'yesterday' }, { version: 0 }])
      expect(() => validateEvent({ ...event, ...broken })).toThrow(/Invalid envelope/);
  });
});
