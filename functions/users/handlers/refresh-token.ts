import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { refreshSession } from '../domain/sessions.ts';
import { exampleSession, RefreshTokenBody, Session } from '../schemas.ts';

export const handler = httpRoute(
  {
    access: 'public',
    schemas: {
      body: RefreshTokenBody,
      response: {
        status: 200,
        body: Session,
        example: exampleSession,
        links: {
          Refresh: { operation: 'POST /token/refresh', requestBody: { refreshToken: '$response.body#/refreshToken' } },
          ReuseRetiredToken: { operation: 'POST /token/refresh', requestBody: { refreshToken: '$request.body#/refreshToken' } },
        },
      },
      errors: [401, 503],
    },
  },
  async ({ body }) => {
    return { body: await refreshSession(await usersApp(), body.refreshToken) };
  },
);
