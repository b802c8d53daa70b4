import { z } from 'zod';
import { accessTokens } from '../../../shared/auth/tokens.ts';
import { httpRoute } from '../../../shared/http/handler.ts';
import { introspect } from '../domain/sessions.ts';

const body = z.object({ token: z.string().min(1).max(4096) }).strict();

export const handler = httpRoute({ access: 'public', schemas: { body } }, async ({ body }) => {
  return { body: await introspect(await accessTokens(), body.token) };
});
