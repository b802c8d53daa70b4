import { z } from 'zod';
import type { RouteSpec, ServiceManifest } from '../service.ts';
import type { HttpLambda } from './handler.ts';

type JsonSchema = Record<string, unknown>;

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {}, requestId: { type: 'string' } },
    },
  },
};

function toSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header'): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

/** OpenAPI 3.1 for every route of the catalog, from the same zod schemas the handlers validate with. */
export function buildOpenApi(
  services: ServiceManifest[],
  handlers: Map<RouteSpec, HttpLambda>,
  info: { title: string; version: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const service of services) {
    for (const route of service.routes) {
      const contract = handlers.get(route)?.contract;
      const schemas = contract?.schemas ?? {};
      const responses: Record<string, unknown> = {
        '200': { description: 'OK' },
        '400': {
          description: 'Invalid input',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
        '429': {
          description: 'Too many requests',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      };
      if (route.access !== 'public') {
        responses['401'] = {
          description: 'Missing or invalid token',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
        responses['403'] = {
          description: 'Not allowed',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
      }
      const security: Array<Record<string, string[]>> = [];
      const requirement: Record<string, string[]> = {};
      if (route.apiKeyRequired !== false) requirement.apiKey = [];
      if (route.access !== 'public') requirement.bearer = [];
      if (Object.keys(requirement).length) security.push(requirement);
      const operations = paths[route.path] ?? {};
      paths[route.path] = operations;
      operations[route.method.toLowerCase()] = {
        operationId: `${service.name}.${route.handler.replace(/^handlers\//, '')}`,
        summary: route.summary,
        tags: [service.name],
        'x-access': route.access,
        parameters: [
          ...parameters(schemas.path, 'path'),
          ...parameters(schemas.query, 'query'),
          ...parameters(schemas.headers, 'header'),
        ],
        ...(schemas.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(schemas.body) } } } }
          : {}),
        responses,
        security,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}
