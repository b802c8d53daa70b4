import * as z from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { updateUser } from '../domain/accounts.ts';
import { Email, exampleUser, Name, Phone, UserBody, UserPath } from '../schemas.ts';

const body = z
  .object({ email: Email.optional(), name: Name.optional(), phone: Phone.nullable().optional() })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, 'Nothing to change')
  .meta({ minProperties: 1 });

export const handler = httpRoute(
  {
    access: 'user',
    schemas: {
      path: UserPath,
      body,
      response: { status: 200, body: UserBody, example: { user: exampleUser } },
      errors: [404, 409, 503],
    },
  },
  async ({ path, body, principal, correlationId }) => {
    return { body: { user: await updateUser(await usersApp(), principal, path.id, body, { correlationId }) } };
  },
);
