import { describe, expect, it } from 'vitest';
import { eventSchema } from '../../shared/events/index.ts';
import { notifyingEvents } from './domain/templates.ts';
import notifications from './service.ts';

describe('the notifications manifest', () => {
  const [subscription] = notifications.subscriptions!;

  it('subscribes to every event with a template, plus user.updated for the contact read model', () => {
    expect([...subscription!.events].sort()).toEqual([...notifyingEvents, 'user.updated'].sort());
  });

  it('subscribes only to events a producer registered a schema for', () => {
    for (const type of subscription!.events) expect(eventSchema(type), type).toBeDefined();
  });
});
