import * as z from 'zod';
import type { RouteSpec, ServiceManifest } from '../service.ts';
import type { HttpLambda, RouteErrorStatus, RouteSchemas } from './handler.ts';

type JsonSchema = Record<string, unknown>;

/** Every error status the platform answers, each with the one `Error` body (shared/http/errors.ts, the gateways). */
const errorResponses: Record<number, { name: string; description: string; code: string; retryAfter?: boolean }> = {
  400: {
    name: 'BadRequest',
    code: 'VALIDATION_FAILED',
    description: 'The request is malformed or breaks the schema (`VALIDATION_FAILED` lists each problem in `details`)',
  },
  401: {
    name: 'Unauthorized',
    code: 'UNAUTHORIZED',
    description: 'Not signed in, an invalid or expired token, or wrong credentials (`UNAUTHORIZED`)',
  },
  403: {
    name: 'Forbidden',
    code: 'FORBIDDEN',
    description: 'A missing or unknown API key (`INVALID_API_KEY`), or the caller may not do this (`FORBIDDEN`)',
  },
  404: { name: 'NotFound', code: 'NOT_FOUND', description: 'No such resource, or not one the caller may see (`NOT_FOUND`)' },
  409: {
    name: 'Conflict',
    code: 'CONFLICT',
    description: 'The request conflicts with the current state; read it again and retry (`CONFLICT`)',
  },
  413: {
    name: 'PayloadTooLarge',
    code: 'PAYLOAD_TOO_LARGE',
    description: 'The body is larger than the limit (`PAYLOAD_TOO_LARGE`)',
  },
  415: {
    name: 'UnsupportedMediaType',
    code: 'UNSUPPORTED_MEDIA_TYPE',
    description: 'The body is not `application/json` (`UNSUPPORTED_MEDIA_TYPE`)',
  },
  422: {
    name: 'Unprocessable',
    code: 'INSUFFICIENT_STOCK',
    description: 'A business rule refused the request; `code` names the rule',
  },
  429: {
    name: 'TooManyRequests',
    code: 'TOO_MANY_REQUESTS',
    description: 'Rate limit or lockout (`TOO_MANY_REQUESTS`); retry after `Retry-After` seconds',
    retryAfter: true,
  },
  502: { name: 'BadGateway', code: 'BAD_GATEWAY', description: 'A service failed (`BAD_GATEWAY`)' },
  503: {
    name: 'ServiceUnavailable',
    code: 'DEPENDENCY_FAILED',
    description: 'A dependency is down or timed out; retry later (`DEPENDENCY_FAILED`)',
  },
  504: { name: 'GatewayTimeout', code: 'GATEWAY_TIMEOUT', description: 'The service did not answer in time (`GATEWAY_TIMEOUT`)' },
};

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: {
          type: 'string',
          pattern: '^[A-Z][A-Z0-9_]*$',
          description: 'Machine-readable, e.g. VALIDATION_FAILED, UNAUTHORIZED, INVALID_API_KEY, NOT_FOUND, CONFLICT',
        },
        message: { type: 'string', description: 'For people; may change, do not parse it' },
        details: { description: 'Per-field problems (`[{ path, message, code, in }]`) or context of the error' },
        requestId: { type: 'string', description: 'Quote it when reporting a problem' },
      },
    },
  },
};

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]!);
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

/** The statuses a route documents besides its success: what the gateway and the middleware stack can answer, and its own. */
export function errorStatuses(route: RouteSpec, schemas: RouteSchemas): number[] {
  const statuses = new Set<number>([400, 429, ...(schemas.errors ?? [])]);
  if (route.apiKeyRequired !== false) statuses.add(403);
  if (route.access !== 'public') {
    statuses.add(401);
    statuses.add(403);
  }
  if (schemas.body) {
    statuses.add(413);
    statuses.add(415);
  }
  return [...statuses].sort((a, b) => a - b);
}

const operationKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
export const operationIdOf = (service: string, route: RouteSpec) => `${service}.${route.handler.replace(/^handlers\//, '')}`;

function successResponse(schemas: RouteSchemas, operationIds: Map<string, string>): [string, JsonSchema] {
  const response = schemas.response;
  if (!response) return ['200', { description: 'OK (this route documents no body yet)' }];
  const out: JsonSchema = { description: response.status === 201 ? 'Created' : response.status === 204 ? 'Done, no body' : 'OK' };
  if (response.status !== 204 && response.body) {
    const schema = toSchema(response.body, 'output');
    if (schema.description && typeof schema.description === 'string') out.description = schema.description;
    out.content = {
      [response.mediaType ?? 'application/json']: {
        schema,
        ...(response.example !== undefined ? { example: response.example } : {}),
      },
    };
  }
  if (response.location) {
    out.headers = {
      Location: { description: 'Path of the created resource', required: true, schema: { type: 'string', pattern: '^/' } },
    };
  }
  if (response.links) {
    out.links = Object.fromEntries(
      Object.entries(response.links).map(([name, link]) => {
        const operationId = operationIds.get(link.operation.replace(/^(\S+)/, (m) => m.toUpperCase()));
        if (!operationId) throw new Error(`link ${name} names ${link.operation}, which no route of the catalog is`);
        return [
          name,
          {
            operationId,
            ...(link.parameters ? { parameters: link.parameters } : {}),
            ...(link.requestBody !== undefined ? { requestBody: link.requestBody } : {}),
            ...(link.description ? { description: link.description } : {}),
          },
        ];
      }),
    );
  }
  return [String(response.status), out];
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** OpenAPI 3.1 for every route of the catalog, from the same zod schemas the handlers validate with. */
export function buildOpenApi(services: ServiceManifest[], handlers: Map<RouteSpec, HttpLambda>, info: OpenApiInfo) {
  const operationIds = new Map<string, string>();
  for (const service of services)
    for (const route of service.routes)
      operationIds.set(operationKey(route.method, route.path), operationIdOf(service.name, route));

  const paths: Record<string, Record<string, unknown>> = {};
  const usedErrors = new Set<number>();
  for (const service of services) {
    for (const route of service.routes) {
      const schemas: RouteSchemas = handlers.get(route)?.contract?.schemas ?? {};
      const [successStatus, success] = successResponse(schemas, operationIds);
      const responses: Record<string, unknown> = { [successStatus]: success };
      for (const status of schemas.response?.alsoStatuses ?? [])
        responses[String(status)] = { ...success, description: status === 503 ? 'Degraded' : 'OK', links: undefined };
      for (const status of errorStatuses(route, schemas)) {
        if (responses[String(status)]) continue;
        const known = errorResponses[status as RouteErrorStatus];
        if (!known) throw new Error(`${route.method} ${route.path}: no error response for status ${status}`);
        usedErrors.add(status);
        responses[String(status)] = { $ref: `#/components/responses/${known.name}` };
      }

      const requirement: Record<string, string[]> = {};
      if (route.apiKeyRequired !== false) requirement.apiKey = [];
      if (route.access !== 'public') requirement.bearer = [];

      const declared = [
        ...parameters(schemas.path, 'path'),
        ...parameters(schemas.query, 'query'),
        ...parameters(schemas.headers, 'header'),
      ];
      // A path parameter the route has but no schema names is still a parameter (any non-empty text).
      for (const name of pathParameterNames(route.path))
        if (!declared.some((p) => p.in === 'path' && p.name === name))
          declared.unshift({ name, in: 'path', required: true, schema: { type: 'string', minLength: 1 } });

      const notes = [schemas.query, schemas.path]
        .map((s) => (s ? toSchema(s, 'input').description : undefined))
        .filter((d): d is string => typeof d === 'string');
      const access =
        route.access === 'admin' ? 'Admins only.' : route.access === 'user' ? 'Signed-in users.' : 'Public: no sign-in.';
      const body = schemas.body ? toSchema(schemas.body, 'input') : undefined;

      const operations = paths[route.path] ?? {};
      paths[route.path] = operations;
      operations[route.method.toLowerCase()] = {
        operationId: operationIdOf(service.name, route),
        summary: route.summary,
        description: [access, ...notes].join(' '),
        tags: [service.name],
        'x-access': route.access,
        ...(declared.length ? { parameters: declared } : {}),
        ...(body
          ? {
              requestBody: {
                required: true,
                ...(typeof body.description === 'string' ? { description: body.description } : {}),
                content: { 'application/json': { schema: body } },
              },
            }
          : {}),
        responses,
        security: Object.keys(requirement).length ? [requirement] : [],
      };
    }
  }

  const responses = Object.fromEntries(
    [...usedErrors]
      .sort((a, b) => a - b)
      .map((status) => {
        const known = errorResponses[status]!;
        return [
          known.name,
          {
            description: known.description,
            ...(known.retryAfter
              ? {
                  headers: {
                    'Retry-After': {
                      description: 'Seconds to wait before retrying',
                      required: true,
                      schema: { type: 'integer', minimum: 1 },
                    },
                  },
                }
              : {}),
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/Error' },
                example: {
                  error: {
                    code: known.code,
                    message: known.description.replace(/ \(`.*$/, ''),
                    requestId: '0f6c1d2e-7a5b-4c3d-9e8f-1a2b3c4d5e6f',
                  },
                },
              },
            },
          },
        ];
      }),
  );

  return {
    openapi: '3.1.0',
    info,
    tags: services.map((s) => ({ name: s.name, description: s.description })),
    paths,
    components: {
      schemas: { Error: errorSchema },
      responses,
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The API key of your usage plan' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access token from `POST /login` or `POST /token/refresh`',
        },
      },
    },
  };
}
