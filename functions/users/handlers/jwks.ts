import { accessTokens } from '../../../shared/auth/tokens.ts';
import { httpRoute } from '../../../shared/http/handler.ts';

export const handler = httpRoute({ access: 'public' }, async () => {
  const tokens = await accessTokens();
  return { body: { keys: await tokens.currentJwks() }, headers: { 'Cache-Control': 'public, max-age=300' } };
});
