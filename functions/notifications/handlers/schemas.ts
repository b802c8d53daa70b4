import * as z from 'zod';
import { pageLimit } from '../../../shared/http/paging.ts';
import { idPattern } from '../../../shared/ids.ts';

export const HistoryQuery = z
  .object({
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,300}$/)
      .optional(),
    limit: pageLimit,
  })
  .strict();

/** Any user id shape: one that is not a user's is a 404 like a stranger's, not a 400. */
export const UserNotificationsPath = z.object({ userId: z.string().regex(idPattern, 'a user id') }).strict();

export const NotificationView = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  channel: z.enum(['email', 'sms']),
  userId: z.string(),
  to: z.string(),
  subject: z.string().nullable(),
  text: z.string(),
  status: z.enum(['sending', 'sent', 'failed', 'unconfirmed']),
  occurredAt: z.string().datetime(),
  sentAt: z.string().datetime().nullable(),
});

export const HistoryPage = z.object({ items: z.array(NotificationView), nextCursor: z.string().nullable() });

export const exampleHistoryPage = {
  items: [
    {
      id: 'ntf_01k9z8x7w6v5t4s3r2q1p0n9m8',
      eventId: 'evt_01k9z8x7w6v5t4s3r2q1p0n9m7',
      eventType: 'user.registered',
      channel: 'email',
      userId: 'usr_01k9z8x7w6v5t4s3r2q1p0n9m8',
      to: 'ada@example.com',
      subject: 'Welcome to Shop',
      text: 'Hello Ada Lovelace,\n\nYour account is ready. Sign in with this address to start shopping.',
      status: 'sent',
      occurredAt: '2026-01-15T09:30:00.000Z',
      sentAt: '2026-01-15T09:30:01.250Z',
    },
  ],
  nextCursor: null,
} as const;
