import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { logout } from '../domain/sessions.ts';
import { RefreshTokenBody } from '../schemas.ts';

export const handler = httpRoute(
  { access: 'public', schemas: { body: RefreshTokenBody, response: { status: 204 }, errors: [503] } },
  async ({ body }) => {
    await logout(await usersApp(), body.refreshToken);
    return { status: 204 };
  },
);
