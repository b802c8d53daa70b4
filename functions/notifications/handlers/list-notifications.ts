import { httpRoute } from '../../../shared/http/handler.ts';
import { listNotifications } from '../domain/history.ts';
import { notificationsReads } from '../read-composition.ts';
import { exampleHistoryPage, HistoryPage, HistoryQuery } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'user',
    schemas: { query: HistoryQuery, response: { status: 200, body: HistoryPage, example: exampleHistoryPage }, errors: [503] },
  },
  async ({ query, principal }) => ({
    body: await listNotifications(await notificationsReads(), principal, query),
  }),
);
