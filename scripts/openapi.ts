// Writes docs/api/openapi.json from the service catalog and the handlers' zod schemas.
// `npx tsx scripts/openapi.ts` after changing a route; a unit test fails while the file is stale.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { services } from '../functions/catalog.ts';
import type { HttpLambda } from '../shared/http/handler.ts';
import { buildOpenApi } from '../shared/http/openapi.ts';
import type { RouteSpec } from '../shared/service.ts';

export const openApiFile = join(import.meta.dirname, '..', 'docs', 'api', 'openapi.json');

export async function generateOpenApi(): Promise<string> {
  const handlers = new Map<RouteSpec, HttpLambda>();
  for (const service of services) {
    for (const route of service.routes) {
      const mod = (await import(join(import.meta.dirname, '..', 'functions', service.name, `${route.handler}.ts`))) as {
        handler: HttpLambda;
      };
      handlers.set(route, mod.handler);
    }
  }
  const doc = buildOpenApi(services, handlers, { title: 'Shop platform API', version: '1.0.0' });
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1]?.endsWith('scripts/openapi.ts')) {
  await writeFile(openApiFile, await generateOpenApi());
  console.log(`wrote ${openApiFile}`);
}
