import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { getUser } from '../domain/accounts.ts';
import { exampleUser, UserBody, UserPath } from '../schemas.ts';

export const handler = httpRoute(
  {
    access: 'user',
    schemas: { path: UserPath, response: { status: 200, body: UserBody, example: { user: exampleUser } }, errors: [404, 503] },
  },
  async ({ path, principal }) => {
    return { body: { user: await getUser(await usersApp(), principal, path.id) } };
  },
);
