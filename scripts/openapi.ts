// Writes docs/api/openapi.json from the service catalog and the handlers' zod schemas.
// `npm run openapi` after changing a route (it also regenerates the typed client); a unit test fails while the file is stale.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { services } from '../functions/catalog.ts';
import type { HttpLambda } from '../shared/http/handler.ts';
import { buildOpenApi } from '../shared/http/openapi.ts';
import type { RouteSpec } from '../shared/service.ts';

export const openApiFile = join(import.meta.dirname, '..', 'docs', 'api', 'openapi.json');

export async function routeHandlers(): Promise<Map<RouteSpec, HttpLambda>> {
  const handlers = new Map<RouteSpec, HttpLambda>();
  for (const service of services) {
    for (const route of service.routes) {
      const mod = (await import(join(import.meta.dirname, '..', 'functions', service.name, `${route.handler}.ts`))) as {
        handler: HttpLambda;
      };
      handlers.set(route, mod.handler);
    }
  }
  return handlers;
}

export async function generateOpenApi(): Promise<string> {
  const doc = buildOpenApi(services, await routeHandlers(), {
    title: 'Shop platform API',
    version: '1.0.0',
    description:
      'The HTTPS API of the shop platform. Most routes need an API key (`x-api-key`); signed-in routes also a bearer ' +
      'access token from `POST /login`. Every error has the one `Error` body with a machine-readable `code`. ' +
      'Money is integer minor units with an ISO-4217 currency; ids are opaque strings; times are ISO-8601 UTC.',
  });
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1]?.endsWith('scripts/openapi.ts')) {
  await writeFile(openApiFile, await generateOpenApi());
  console.log(`wrote ${openApiFile}`);
}
