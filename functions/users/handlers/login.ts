import * as z from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { text } from '../../../shared/text.ts';
import { usersApp } from '../composition.ts';
import { login } from '../domain/sessions.ts';
import { exampleSession, Password, Session } from '../schemas.ts';

// The email is not validated as an address here: a malformed one must fail exactly like a wrong one (401).
const body = z
  .object({ email: text({ max: 254 }), password: Password })
  .strict()
  .meta({ examples: [{ email: 'ada@example.com', password: 'Analytical-Engine-1843' }] });

export const handler = httpRoute(
  {
    access: 'public',
    schemas: {
      body,
      response: {
        status: 200,
        body: Session,
        example: exampleSession,
        // The flows a signed-in user goes on with, with the token this sign-in returned.
        links: {
          ReadOwnProfile: {
            operation: 'GET /users/{id}',
            parameters: { 'path.id': '$response.body#/user/id', 'header.Authorization': 'Bearer {$response.body#/accessToken}' },
          },
          ChangeOwnProfile: {
            operation: 'PATCH /users/{id}',
            parameters: { 'path.id': '$response.body#/user/id', 'header.Authorization': 'Bearer {$response.body#/accessToken}' },
          },
          ChangeOwnPassword: {
            operation: 'POST /users/{id}/password',
            parameters: { 'path.id': '$response.body#/user/id', 'header.Authorization': 'Bearer {$response.body#/accessToken}' },
          },
          Introspect: { operation: 'POST /validate-token', requestBody: { token: '$response.body#/accessToken' } },
          Refresh: { operation: 'POST /token/refresh', requestBody: { refreshToken: '$response.body#/refreshToken' } },
          SignOut: { operation: 'POST /logout', requestBody: { refreshToken: '$response.body#/refreshToken' } },
        },
      },
      errors: [401, 503],
    },
  },
  async ({ body, sourceIp }) => {
    return { body: await login(await usersApp(), { ...body, clientIp: sourceIp }) };
  },
);
