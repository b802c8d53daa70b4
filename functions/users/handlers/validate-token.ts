import * as z from 'zod';
import { accessTokens } from '../../../shared/auth/tokens.ts';
import { httpRoute } from '../../../shared/http/handler.ts';
import { text } from '../../../shared/text.ts';
import { introspect } from '../domain/sessions.ts';

const body = z.object({ token: text({ min: 1, max: 4096 }) }).strict();
const Introspection = z.union([
  z.object({ valid: z.literal(true), userId: z.string(), role: z.enum(['customer', 'admin']), expiresAt: z.iso.datetime() }),
  z.object({ valid: z.literal(false) }),
]);
const example = {
  valid: true,
  userId: 'usr_01k9z8x7w6v5t4s3r2q1p0n9m8',
  role: 'customer',
  expiresAt: '2026-01-15T09:45:00.000Z',
};

export const handler = httpRoute(
  { access: 'public', schemas: { body, response: { status: 200, body: Introspection, example }, errors: [503] } },
  async ({ body }) => {
    return { body: await introspect(await accessTokens(), body.token) };
  },
);
