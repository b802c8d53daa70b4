import { z } from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { login } from '../domain/sessions.ts';
import { Password } from '../schemas.ts';

// The email is not validated as an address here: a malformed one must fail exactly like a wrong one (401).
const body = z.object({ email: z.string().max(254), password: Password }).strict();

export const handler = httpRoute({ access: 'public', schemas: { body } }, async ({ body, sourceIp }) => {
  return { body: await login(await usersApp(), { ...body, clientIp: sourceIp }) };
});
