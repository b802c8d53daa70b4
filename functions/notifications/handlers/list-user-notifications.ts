import { httpRoute } from '../../../shared/http/handler.ts';
import { listUserNotifications } from '../domain/history.ts';
import { notificationsReads } from '../read-composition.ts';
import { exampleHistoryPage, HistoryPage, HistoryQuery, UserNotificationsPath } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      path: UserNotificationsPath,
      query: HistoryQuery,
      response: { status: 200, body: HistoryPage, example: exampleHistoryPage },
      errors: [404, 503],
    },
  },
  async ({ path, query, principal }) => ({
    body: await listUserNotifications(await notificationsReads(), principal, path.userId, query),
  }),
);
