import { accessTokens } from '../../../shared/auth/tokens.ts';
import { httpRoute } from '../../../shared/http/handler.ts';

export const handler = httpRoute({ access: 'public' }, async () => {
  const tokens = await accessTokens();
  return { body: { keys: tokens.publicJwks() }, headers: { 'Cache-Control': 'public, max-age=300' } };
});
