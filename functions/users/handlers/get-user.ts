import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { getUser } from '../domain/accounts.ts';
import { UserPath } from '../schemas.ts';

export const handler = httpRoute({ access: 'user', schemas: { path: UserPath } }, async ({ path, principal }) => {
  return { body: { user: await getUser(await usersApp(), principal, path.id) } };
});
