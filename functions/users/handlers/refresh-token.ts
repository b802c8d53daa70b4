import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { refreshSession } from '../domain/sessions.ts';
import { RefreshTokenBody } from '../schemas.ts';

export const handler = httpRoute({ access: 'public', schemas: { body: RefreshTokenBody } }, async ({ body }) => {
  return { body: await refreshSession(await usersApp(), body.refreshToken) };
});
