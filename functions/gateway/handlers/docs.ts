import * as z from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { docsPage } from '../domain/docs-page.ts';
import { swaggerUiAssets } from '../store/swagger-ui.ts';

const Html = z.string().describe('The API reference page (Swagger UI), rendering `GET /openapi.json`');

export const handler = httpRoute(
  { access: 'public', schemas: { response: { status: 200, body: Html, mediaType: 'text/html', example: '<!doctype html>…' } } },
  async ({ rawEvent }) => {
    // Relative to where this page is served (in AWS the path starts with the stage): /dev/docs reads /dev/openapi.json.
    const path = rawEvent.requestContext?.path ?? rawEvent.path ?? '/docs';
    const page = docsPage(swaggerUiAssets(), path.replace(/\/docs\/?$/, '/openapi.json'));
    return {
      rawBody: page.html,
      headers: {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': page.contentSecurityPolicy,
        'Cache-Control': 'public, max-age=300',
      },
    };
  },
);
