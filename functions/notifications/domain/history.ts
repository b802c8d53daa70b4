import * as z from 'zod';
import { cursorId, decodeCursor, encodeCursor } from '../../../shared/cursor.ts';
import { NotFound } from '../../../shared/errors.ts';
import type { Principal } from '../../../shared/http/handler.ts';
import type { NotificationHistoryReader, NotificationRecord } from './ports.ts';

/** What a notification's user (or an admin) sees of it: no lease, attempts or provider errors. */
const VIEW_FIELDS = [
  'id',
  'eventId',
  'eventType',
  'channel',
  'userId',
  'to',
  'subject',
  'text',
  'status',
  'occurredAt',
  'sentAt',
] as const satisfies ReadonlyArray<keyof NotificationRecord>;
export type NotificationView = Pick<NotificationRecord, (typeof VIEW_FIELDS)[number]>;

export interface HistoryPage {
  items: NotificationView[];
  nextCursor: string | null;
}

export interface PageRequest {
  cursor?: string;
  limit: number;
}

function view(r: NotificationRecord): NotificationView {
  return Object.fromEntries(VIEW_FIELDS.map((field) => [field, r[field]])) as NotificationView;
}

/** Where a page of history ended: the last item's time of occurrence and its id (the tie-break). */
const PageEnd = z.object({ occurredAt: z.iso.datetime(), id: cursorId }).strict();

async function page(history: NotificationHistoryReader, userId: string | undefined, request: PageRequest): Promise<HistoryPage> {
  const after = request.cursor ? decodeCursor(request.cursor, PageEnd) : undefined;
  // One more than asked tells whether another page exists without a count.
  const rows = await history.list({ userId, after, limit: request.limit + 1 });
  const items = rows.slice(0, request.limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > request.limit && last ? encodeCursor({ occurredAt: last.occurredAt, id: last.id }) : null,
  };
}

/** `GET /notifications`: a customer's own history; an admin's view is everyone's. Newest first. */
export async function listNotifications(
  deps: { history: NotificationHistoryReader },
  principal: Principal,
  request: PageRequest,
) {
  return page(deps.history, principal.role === 'admin' ? undefined : principal.userId, request);
}

/** `GET /notifications/user/{userId}`: the user themself or an admin; anyone else learns nothing (404). */
export async function listUserNotifications(
  deps: { history: NotificationHistoryReader },
  principal: Principal,
  userId: string,
  request: PageRequest,
) {
  if (principal.role !== 'admin' && principal.userId !== userId) throw new NotFound(`No notifications for user ${userId}`);
  return page(deps.history, userId, request);
}
