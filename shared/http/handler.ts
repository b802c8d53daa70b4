import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod';
import { config } from '../config.ts';
import { BadRequest, Forbidden, PayloadTooLarge, Unauthorized, UnsupportedMediaType, ValidationFailed } from '../errors.ts';
import { logger, metrics, metricsEnabled, tracer } from '../observability.ts';
import { mapError, zodIssues } from './errors.ts';

export type Role = 'customer' | 'admin';
export interface Principal {
  userId: string;
  role: Role;
}
/** Who may call a route. `public`: anyone; `user`: any signed-in user; `admin`: admins only. */
export type Access = 'public' | 'user' | 'admin';

/** Error statuses a route can return beyond those every route documents (400, 429; 401 and 403 when signed in). */
export type RouteErrorStatus = 401 | 403 | 404 | 409 | 413 | 415 | 422 | 502 | 503 | 504;

export interface RouteSchemas {
  body?: z.ZodType;
  path?: z.ZodType;
  query?: z.ZodType;
  headers?: z.ZodType;
  /**
   * The success response, for the OpenAPI document: its status, its body schema (none for 204) and an example.
   * A 201 documents `Location`; a 202 may too.
   */
  response?: {
    status: 200 | 201 | 202 | 204;
    body?: z.ZodType;
    example?: unknown;
    location?: boolean;
    /** Other statuses answered with this same body (the health report is a 503 when degraded), not with `Error`. */
    alsoStatuses?: Array<200 | 503>;
    /** Media type of the body when it is not JSON (e.g. `text/html`); `body` is then the schema of that text. */
    mediaType?: string;
    /**
     * OpenAPI links: the next call of a flow and what it takes from this one (runtime expressions such as
     * `$response.body#/id`), keyed by link name; `operation` is `'METHOD /path'` of a route in the catalog.
     */
    links?: Record<string, RouteLink>;
  };
  /** The error statuses this route can return besides the common ones, each answered with the one `Error` body. */
  errors?: RouteErrorStatus[];
}
export interface RouteLink {
  operation: string;
  parameters?: Record<string, string>;
  requestBody?: unknown;
  description?: string;
}
type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export interface HttpRequest<S extends RouteSchemas, A extends Access> {
  body: Infer<S['body']>;
  path: Infer<S['path']>;
  query: Infer<S['query']>;
  headers: Infer<S['headers']>;
  /** Always set on `user` and `admin` routes; on `public` routes only when the caller signed in. */
  principal: A extends 'public' ? Principal | undefined : Principal;
  requestId: string;
  correlationId: string;
  sourceIp: string;
  rawEvent: APIGatewayProxyEvent;
}

export interface HttpResult {
  status?: number;
  body?: unknown;
  /** A body sent as it is, not as JSON (e.g. an HTML page); give its Content-Type in `headers`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface RouteOptions<S extends RouteSchemas, A extends Access> {
  access: A;
  schemas?: S;
}

export type HttpLambda = ((event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>) & {
  /** The route's access rule and schemas, read by the OpenAPI generator (scripts/openapi.ts). */
  readonly contract?: { access: Access; schemas: RouteSchemas };
};

const securityHeaders: Record<string, string> = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

export function headerOf(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === wanted) return value ?? undefined;
  return undefined;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-correlation-id` if it is a sane id (it ends up in logs and every event), else this request's id. */
function correlationIdOf(headers: Record<string, string | undefined> | null | undefined, requestId: string): string {
  const given = headerOf(headers, 'x-correlation-id');
  return given && CORRELATION_ID.test(given) ? given : requestId;
}

function corsHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const allowed = config()
    .CORS_ALLOWED_ORIGINS.split(',')
    .map((o) => o.trim());
  const origin = headerOf(event.headers, 'origin');
  const allow = allowed.includes('*') ? '*' : origin && allowed.includes(origin) ? origin : undefined;
  if (!allow) return {};
  return {
    'Access-Control-Allow-Origin': allow,
    'Access-Control-Expose-Headers': 'x-request-id,x-correlation-id,retry-after',
    Vary: 'Origin',
  };
}

/** The Lambda authorizer's context becomes the principal (REST API puts it at requestContext.authorizer). */
export function principalOf(event: APIGatewayProxyEvent): Principal | undefined {
  const ctx = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const userId = ctx?.userId;
  const role = ctx?.role;
  if (typeof userId === 'string' && userId && (role === 'customer' || role === 'admin')) return { userId, role };
  return undefined;
}

function validate<T>(schema: z.ZodType | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success)
    throw new ValidationFailed(
      `Invalid ${where}`,
      zodIssues(result.error).map((i) => ({ ...i, in: where })),
    );
  return result.data as T;
}

/** middy's JSON parser signals its failures with HTTP errors of its own; they become ours. */
function fromMiddyError(error: unknown): unknown {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  if (status === 415) return new UnsupportedMediaType('Content-Type must be application/json');
  if (status === 422 || status === 400) return new BadRequest('The request body is not valid JSON', { reason: 'MALFORMED_JSON' });
  return error;
}

type Ids = {
  requestId: string;
  correlationId: string;
};

/** Request ids in, one error mapping and the response headers out. */
function httpEnvelope(): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context, Ids> {
  const finish = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context, Ids>) => {
    const response = request.response;
    if (!response) return;
    response.headers = {
      ...securityHeaders,
      ...corsHeaders(request.event),
      'x-request-id': request.internal.requestId,
      'x-correlation-id': request.internal.correlationId,
      ...response.headers,
    };
    logger.removeKeys(['requestId', 'correlationId', 'route']);
  };
  return {
    before: (request) => {
      const event = request.event;
      const requestId = event.requestContext?.requestId ?? randomUUID();
      const correlationId = correlationIdOf(event.headers, requestId);
      Object.assign(request.internal, { requestId, correlationId });
      logger.appendKeys({ requestId, correlationId, route: `${event.httpMethod} ${event.resource}` });
    },
    after: finish,
    onError: (request) => {
      const mapped = mapError(fromMiddyError(request.error), request.internal.requestId);
      if (mapped.statusCode >= 500) logger.error('request failed', { error: request.error as Error });
      else logger.info('request rejected', { status: mapped.statusCode, code: mapped.body.error.code });
      request.response = { statusCode: mapped.statusCode, headers: mapped.headers, body: JSON.stringify(mapped.body) };
      finish(request);
    },
  };
}

/**
 * The LocalStack target only (AUTHORIZE_IN_FUNCTION=true; its free tier runs no REST API Lambda authorizer): the
 * function verifies the bearer token itself, with the authorizer's verifier, and puts the same context where the
 * authorizer would. A request that already carries an authorizer context is left alone.
 */
async function authorizeInFunction(event: APIGatewayProxyEvent): Promise<void> {
  if (config().AUTHORIZE_IN_FUNCTION !== 'true' || principalOf(event)) return;
  const { accessTokens, bearerToken } = await import('../auth/tokens.ts');
  const token = bearerToken(headerOf(event.headers, 'authorization'));
  if (!token) return;
  const verified = await (await accessTokens()).verify(token).catch(() => undefined);
  if (!verified) return;
  const context = { userId: verified.userId, role: verified.role };
  event.requestContext = { ...event.requestContext, authorizer: context } as APIGatewayProxyEvent['requestContext'];
}

/** Who may call: before anything reads the body, so an anonymous caller learns nothing about what a route wants. */
function accessGuard(access: Access): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: async (request) => {
      if (access !== 'public') await authorizeInFunction(request.event);
      const principal = principalOf(request.event);
      if (access !== 'public' && !principal) throw new Unauthorized('Sign in first');
      if (access === 'admin' && principal?.role !== 'admin') throw new Forbidden('Admins only');
    },
  };
}

/** Size, presence and content type of a JSON body, before anything parses it. */
function bodyGuard(): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: (request) => {
      const event = request.event;
      const raw = event.body ?? '';
      const size = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
      if (size > config().MAX_BODY_BYTES) throw new PayloadTooLarge(`The body is larger than ${config().MAX_BODY_BYTES} bytes`);
      if (!raw) throw new BadRequest('A JSON body is required');
      if (!/^application\/(.+\+)?json(\s*;.*)?$/i.test(headerOf(event.headers, 'content-type') ?? '')) {
        throw new UnsupportedMediaType('Content-Type must be application/json');
      }
      // middy's parser reads the lower-case header.
      event.headers = { ...event.headers, 'content-type': headerOf(event.headers, 'content-type') };
    },
  };
}

/**
 * The middleware stack every HTTP handler uses: observability, access control, body checks and JSON parsing,
 * zod validation of body, path, query and headers, one error mapping, CORS and security headers.
 * The function receives validated input and returns `{ status, body, headers }`.
 */
export function httpRoute<S extends RouteSchemas, A extends Access>(
  options: RouteOptions<S, A>,
  fn: (request: HttpRequest<S, A>) => Promise<HttpResult | undefined>,
): HttpLambda {
  const schemas = (options.schemas ?? {}) as S;
  const core = async (event: APIGatewayProxyEvent, context: Context & { internal?: Ids }): Promise<APIGatewayProxyResult> => {
    const principal = principalOf(event);
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    const request = {
      body: validate(schemas.body, event.body, 'body'),
      path: validate(schemas.path, event.pathParameters ?? {}, 'path'),
      query: validate(schemas.query, event.queryStringParameters ?? {}, 'query'),
      headers: validate(schemas.headers, lowerCaseKeys(event.headers ?? {}), 'headers'),
      principal,
      requestId,
      correlationId: correlationIdOf(event.headers, requestId),
      sourceIp: event.requestContext?.identity?.sourceIp ?? 'unknown',
      rawEvent: event,
    } as HttpRequest<S, A>;
    const result = (await fn(request)) ?? {};
    const status = result.status ?? (result.body === undefined && result.rawBody === undefined ? 204 : 200);
    return {
      statusCode: status,
      headers: result.headers ?? {},
      body: result.rawBody ?? (result.body === undefined ? '' : JSON.stringify(result.body)),
    };
  };
  const handler = middy(core)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger));
  if (metricsEnabled()) handler.use(logMetrics(metrics, { captureColdStartMetric: true }));
  handler.use(httpEnvelope());
  handler.use(accessGuard(options.access));
  if (schemas.body) handler.use(bodyGuard()).use(httpJsonBodyParser());
  return Object.assign(handler, { contract: { access: options.access, schemas } }) as unknown as HttpLambda;
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
