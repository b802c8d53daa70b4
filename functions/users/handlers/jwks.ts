import * as z from 'zod';
import { accessTokens } from '../../../shared/auth/tokens.ts';
import { httpRoute } from '../../../shared/http/handler.ts';

const Jwks = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string().optional(), use: z.string().optional() })),
});
const example = {
  keys: [
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      kid: 'k1',
      alg: 'ES256',
      use: 'sig',
    },
  ],
};

export const handler = httpRoute(
  { access: 'public', schemas: { response: { status: 200, body: Jwks, example }, errors: [503] } },
  async () => {
    const tokens = await accessTokens();
    return { body: { keys: await tokens.currentJwks() }, headers: { 'Cache-Control': 'public, max-age=300' } };
  },
);
