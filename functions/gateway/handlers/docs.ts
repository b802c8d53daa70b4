import openApi from '../../../docs/api/openapi.json' with { type: 'json' };
import { httpRoute } from '../../../shared/http/handler.ts';

export const handler = httpRoute({ access: 'public' }, async () => ({
  body: openApi,
  headers: { 'Cache-Control': 'public, max-age=300' },
}));
