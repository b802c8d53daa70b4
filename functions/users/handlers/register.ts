import * as z from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { countMetric } from '../../../shared/observability.ts';
import { usersApp } from '../composition.ts';
import { registerCustomer } from '../domain/accounts.ts';
import { Email, exampleUser, Name, NewPassword, Phone, UserBody } from '../schemas.ts';

const body = z
  .object({ email: Email, password: NewPassword, name: Name, phone: Phone.nullable().optional() })
  .strict()
  .meta({
    examples: [{ email: 'ada@example.com', password: 'Analytical-Engine-1843', name: 'Ada Lovelace', phone: '+44 20 7946 0958' }],
  });

export const handler = httpRoute(
  {
    access: 'public',
    schemas: {
      body,
      response: {
        status: 201,
        body: UserBody,
        example: { user: exampleUser },
        location: true,
        links: {
          SignIn: {
            operation: 'POST /login',
            requestBody: { email: '$request.body#/email', password: '$request.body#/password' },
            description: 'Sign in as the account just registered',
          },
        },
      },
      errors: [409, 503],
    },
  },
  async ({ body, correlationId }) => {
    const user = await registerCustomer(await usersApp(), body, { correlationId });
    countMetric('users', 'UserRegistered');
    return { status: 201, body: { user }, headers: { Location: `/users/${user.id}` } };
  },
);
