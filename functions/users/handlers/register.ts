import { z } from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { countMetric } from '../../../shared/observability.ts';
import { usersApp } from '../composition.ts';
import { registerCustomer } from '../domain/accounts.ts';
import { Email, Name, Password, Phone } from '../schemas.ts';

const body = z.object({ email: Email, password: Password, name: Name, phone: Phone.nullable().optional() }).strict();

export const handler = httpRoute({ access: 'public', schemas: { body } }, async ({ body, correlationId }) => {
  const user = await registerCustomer(await usersApp(), body, { correlationId });
  countMetric('users', 'UserRegistered');
  return { status: 201, body: { user }, headers: { Location: `/users/${user.id}` } };
});
