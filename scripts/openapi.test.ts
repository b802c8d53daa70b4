import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { services } from '../functions/catalog.ts';
import { generateOpenApi, generateOpenApiTypes, openApiFile, openApiTypesFile, routeHandlers } from './openapi.ts';

interface Operation {
  operationId: string;
  security: Array<Record<string, string[]>>;
  requestBody?: unknown;
  responses: Record<
    string,
    {
      $ref?: string;
      content?: Record<string, unknown>;
      headers?: Record<string, unknown>;
      links?: Record<string, { operationId: string }>;
    }
  >;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { headers?: Record<string, unknown>; content: unknown }> };
}

const doc = async () => JSON.parse(await generateOpenApi()) as Doc;
const routes = services.flatMap((s) => s.routes.map((route) => ({ service: s.name, route })));
const operationOf = (d: Doc, method: string, path: string) => d.paths[path]?.[method.toLowerCase()];

describe('docs/api/openapi.json', () => {
  it('is what the catalog and the handlers’ zod schemas generate (if not: npm run openapi, and commit the result)', async () => {
    const committed = await readFile(openApiFile, 'utf8');
    expect(committed, 'docs/api/openapi.json is stale: run `npm run openapi` and commit it').toBe(await generateOpenApi());
  });

  it('has its typed client types (docs/api/openapi-types.ts) generated from it (if not: npm run openapi)', async () => {
    const committed = await readFile(openApiTypesFile, 'utf8');
    const expected = await generateOpenApiTypes(await readFile(openApiFile, 'utf8'));
    expect(committed, 'docs/api/openapi-types.ts is stale: run `npm run openapi` and commit it').toBe(expected);
  });

  it('documents every route with the security the gateway enforces: the API key unless waived, a bearer token unless public', async () => {
    const d = await doc();
    for (const { route } of routes) {
      const op = operationOf(d, route.method, route.path);
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      const wanted: Record<string, string[]> = {};
      if (route.apiKeyRequired !== false) wanted.apiKey = [];
      if (route.access !== 'public') wanted.bearer = [];
      expect(op!.security, `${route.method} ${route.path}`).toEqual(Object.keys(wanted).length ? [wanted] : []);
    }
  });

  it('gives every route its success status and body, Location on 201 and no body on 204', async () => {
    const d = await doc();
    const handlers = await routeHandlers();
    for (const { route } of routes) {
      const response = handlers.get(route)?.contract?.schemas.response;
      expect(response, `${route.method} ${route.path} declares no response in its httpRoute schemas`).toBeDefined();
      const success = operationOf(d, route.method, route.path)!.responses[String(response!.status)]!;
      if (response!.status === 204) expect(success.content).toBeUndefined();
      else expect(success.content, `${route.method} ${route.path}`).toBeDefined();
      if (response!.status === 201) expect(success.headers?.Location, `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('gives examples that are what the route returns: each parses with its own response schema', async () => {
    const handlers = await routeHandlers();
    for (const { route } of routes) {
      const response = handlers.get(route)?.contract?.schemas.response;
      if (!response?.body || response.example === undefined) continue;
      const parsed = response.body.safeParse(response.example);
      expect(parsed.success, `${route.method} ${route.path}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });

  it('documents the error statuses every route can get, each with the Error body', async () => {
    const d = await doc();
    for (const { route } of routes) {
      const op = operationOf(d, route.method, route.path)!;
      const statuses = Object.keys(op.responses);
      const expected = ['400', '429'];
      if (route.apiKeyRequired !== false || route.access !== 'public') expected.push('403');
      if (route.access !== 'public') expected.push('401');
      if (op.requestBody) expected.push('413', '415');
      expect(statuses, `${route.method} ${route.path}`).toEqual(expect.arrayContaining(expected));
    }
    for (const [name, response] of Object.entries(d.components.responses))
      expect(JSON.stringify(response.content), name).toContain('#/components/schemas/Error');
    expect(d.components.responses.TooManyRequests?.headers?.['Retry-After']).toBeDefined();
  });

  it('links the flows the stateful tests walk: register → sign in → own profile; create product → read it → change its stock', async () => {
    const d = await doc();
    const links = (method: string, path: string, status: string) =>
      Object.values(operationOf(d, method, path)!.responses[status]!.links ?? {}).map((l) => l.operationId);
    const id = (method: string, path: string) => operationOf(d, method, path)!.operationId;
    expect(links('POST', '/register', '201')).toContain(id('POST', '/login'));
    expect(links('POST', '/login', '200')).toContain(id('GET', '/users/{id}'));
    expect(links('POST', '/products', '201')).toContain(id('GET', '/products/{id}'));
    expect(links('GET', '/products/{id}', '200')).toContain(id('PUT', '/products/{id}/inventory'));
  });

  it('states the refinements JSON Schema can say: a patch changes something, an adjustment is not 0', async () => {
    const d = JSON.stringify(await doc());
    const patch = JSON.stringify(operationOf(JSON.parse(d), 'PATCH', '/products/{id}')!.requestBody);
    expect(patch).toContain('"anyOf":[{"required":["name"]}');
    const stock = JSON.stringify(operationOf(JSON.parse(d), 'PUT', '/products/{id}/inventory')!.requestBody);
    expect(stock).toContain('"not":{"const":0}');
    const profile = JSON.stringify(operationOf(JSON.parse(d), 'PATCH', '/users/{id}')!.requestBody);
    expect(profile).toContain('"minProperties":1');
  });
});
