import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import type { RouteSpec, ServiceManifest } from '../../shared/service.ts';
import { InvocationTimeout, invoke } from './lambda.ts';
import { RateLimiter } from './rate-limit.ts';

/** API Gateway's own payload limit. Handlers enforce their (smaller) limit themselves. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface CompiledRoute {
  service: string;
  route: RouteSpec;
  pattern: RegExp;
  params: string[];
}

export function compileRoutes(services: ServiceManifest[]): CompiledRoute[] {
  const compiled = services.flatMap((s) =>
    s.routes.map((route) => {
      const params: string[] = [];
      const source = route.path
        .split('/')
        .map((part) => {
          const m = /^\{([a-zA-Z0-9_]+)(\+?)\}$/.exec(part);
          if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          params.push(m[1]!);
          return m[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      return { service: s.name, route, pattern: new RegExp(`^${source}/?$`), params };
    }),
  );
  // Literal segments win over parameters, as in API Gateway (`/orders/user/{id}` before `/orders/{id}`).
  const literalWeight = (r: CompiledRoute) => r.route.path.split('/').filter((p) => p && !p.startsWith('{')).length;
  return compiled.sort((a, b) => literalWeight(b) - literalWeight(a));
}

export interface GatewayMetrics {
  record(route: string, status: number, ms: number): void;
}

/** An API key with its usage plan throttle (the offline twin of an API Gateway API key + usage plan). */
export interface ApiKey {
  name: string;
  value: string;
  rateLimit: number;
  burstLimit: number;
}

export interface GatewayOptions {
  services: ServiceManifest[];
  apiKeys: ApiKey[];
  /** Default throttle for every route without its own (API Gateway stage throttling). */
  rateLimit: number;
  burstLimit: number;
  metrics?: GatewayMetrics;
  /** Local-only endpoints (`/_local/...`, `/metrics`): return true when handled. */
  extra?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;
  log?: (line: Record<string, unknown>) => void;
  /** Clock for the throttles, in ms (tests freeze it so a slow machine cannot refill a bucket mid-test). */
  now?: () => number;
}

const corsPreflightHeaders = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type,Authorization,X-Api-Key,Idempotency-Key,X-Correlation-Id',
  'Access-Control-Max-Age': '600',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function gatewayError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, { error: { code, message, requestId } }, { 'x-request-id': requestId, ...headers });
}

class BodyTooLarge extends Error {}

/**
 * The request target as a URL: origin-form (`/path?query`; `//host` or `/\host` would parse as an authority), or
 * absolute-form (`http://host/path`, which RFC 9112 says a server must accept), routed on its path alone.
 */
function originFormUrl(target: string | undefined): URL | undefined {
  try {
    const absolute = target && /^https?:\/\//i.test(target) ? new URL(target) : undefined;
    const path = absolute ? `${absolute.pathname}${absolute.search}` : target;
    if (!path || !/^\/(?![/\\])/.test(path)) return undefined;
    const url = new URL(path, 'http://localhost');
    return url.host === 'localhost' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Path parameters by name, percent-decoded; undefined when one is malformed (`%ZZ`, a cut-off UTF-8 sequence). */
function decodePathParameters(names: string[], values: string[]): Record<string, string> | undefined {
  const decoded: Record<string, string> = {};
  try {
    names.forEach((name, i) => {
      decoded[name] = decodeURIComponent(values[i]!);
    });
  } catch {
    return undefined;
  }
  return decoded;
}

/**
 * Reads the body up to `limit`. A larger one is read to its end and discarded before the 413, so the client can finish
 * sending and read the answer (closing mid-upload makes clients fail with EPIPE instead of seeing the 413).
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk as Buffer);
  }
  if (tooLarge) throw new BodyTooLarge();
  return Buffer.concat(chunks);
}

/** IAM-style evaluation of an authorizer policy for a method ARN: an explicit Deny wins, else any Allow. */
export function policyAllows(policy: APIGatewayAuthorizerResult['policyDocument'], methodArn: string): boolean {
  const matches = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(methodArn);
  let allowed = false;
  for (const statement of policy.Statement as Array<{ Effect: string; Resource?: string | string[] }>) {
    const resources = [statement.Resource ?? []].flat();
    if (!resources.some(matches)) continue;
    if (statement.Effect === 'Deny') return false;
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

/**
 * The offline API Gateway: routes from the catalog, the same Lambda authorizer, throttling,
 * the REST proxy event a deployed function receives, and JSON errors for everything it rejects.
 */
export function createHttpGateway(options: GatewayOptions): Server {
  const routes = compileRoutes(options.services);
  const authorizerOwner = options.services.find((s) => s.authorizer);
  const authorizerCache = new Map<string, { result: APIGatewayAuthorizerResult; until: number }>();
  const now = options.now ?? Date.now;
  const defaultLimiter = new RateLimiter(options.rateLimit, options.burstLimit, now);
  const routeLimiters = new Map<string, RateLimiter>();
  const keys = new Map(
    options.apiKeys.map((k) => [k.value, { key: k, limiter: new RateLimiter(k.rateLimit, k.burstLimit, now) }]),
  );
  for (const r of routes)
    if (r.route.throttle)
      routeLimiters.set(
        `${r.route.method} ${r.route.path}`,
        new RateLimiter(r.route.throttle.rateLimit, r.route.throttle.burstLimit, now),
      );

  async function authorize(token: string, methodArn: string): Promise<APIGatewayAuthorizerResult | 'unauthorized'> {
    if (!authorizerOwner?.authorizer) return 'unauthorized';
    const cached = authorizerCache.get(token);
    if (cached && cached.until > Date.now()) return cached.result;
    const event: APIGatewayTokenAuthorizerEvent = { type: 'TOKEN', authorizationToken: token, methodArn };
    try {
      const result = await invoke<APIGatewayAuthorizerResult>(authorizerOwner.name, authorizerOwner.authorizer.handler, event, 5);
      authorizerCache.set(token, { result, until: Date.now() + authorizerOwner.authorizer.resultTtlSeconds * 1000 });
      if (authorizerCache.size > 10_000) authorizerCache.clear();
      return result;
    } catch {
      // A TOKEN authorizer signals 401 by throwing "Unauthorized".
      return 'unauthorized';
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    let path = req.url ?? '';
    let routeLabel = 'unmatched';
    res.on('finish', () => {
      const ms = performance.now() - started;
      options.metrics?.record(routeLabel, res.statusCode, ms);
      options.log?.({ requestId, method, path, route: routeLabel, status: res.statusCode, ms: Math.round(ms) });
    });
    try {
      const url = originFormUrl(req.url);
      if (!url) return gatewayError(res, 400, 'BAD_REQUEST', 'The request target must be a path starting with one /', requestId);
      path = url.pathname;
      // The local endpoints (`extra`) match on req.url, so they too see an absolute-form target as its path.
      if (/^https?:\/\//i.test(req.url ?? '')) req.url = `${url.pathname}${url.search}`;
      if (options.extra && (await options.extra(req, res))) return;
      if (method === 'OPTIONS') {
        res.writeHead(204, corsPreflightHeaders);
        res.end();
        return;
      }
      const candidates = routes.filter((r) => r.pattern.test(url.pathname));
      if (!candidates.length) return gatewayError(res, 404, 'ROUTE_NOT_FOUND', `No route for ${url.pathname}`, requestId);
      const match = candidates.find((r) => r.route.method === method);
      if (!match) {
        const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
        return gatewayError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`, requestId, {
          Allow: allow,
        });
      }
      routeLabel = `${match.route.method} ${match.route.path}`;
      const pathParameters = decodePathParameters(match.params, match.pattern.exec(url.pathname)!.slice(1));
      if (!pathParameters)
        return gatewayError(res, 400, 'BAD_REQUEST', 'A path parameter has malformed percent-encoding', requestId);
      // The authorizer runs before the API key check in API Gateway (a key may even come from it), and a TOKEN
      // authorizer without its identity source (the Authorization header) answers 401 at once.
      if (match.route.access !== 'public' && !req.headers.authorization)
        return gatewayError(res, 401, 'UNAUTHORIZED', 'Missing Authorization header', requestId);
      const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
      const apiKey = req.headers['x-api-key'] as string | undefined;
      // API Gateway order: API key, then usage plan throttle, then method/stage throttle.
      const plan = apiKey ? keys.get(apiKey) : undefined;
      if (match.route.apiKeyRequired !== false && !plan) {
        return gatewayError(res, 403, 'INVALID_API_KEY', apiKey ? 'Unknown API key' : 'Missing x-api-key header', requestId);
      }
      const limiter = routeLimiters.get(routeLabel) ?? defaultLimiter;
      // Keyed on the plan, never the raw header: a fresh junk key per request would get a fresh bucket.
      const caller = plan ? `key:${plan.key.name}` : `ip:${sourceIp}`;
      const wait = Math.max(plan?.limiter.take(plan.key.name) ?? 0, limiter.take(`${caller}|${routeLabel}`));
      if (wait > 0) {
        return gatewayError(res, 429, 'TOO_MANY_REQUESTS', 'Rate limit exceeded', requestId, {
          'Retry-After': String(Math.max(1, Math.ceil(wait))),
        });
      }

      let body: Buffer;
      try {
        body = await readBody(req, GATEWAY_MAX_BODY_BYTES);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          return gatewayError(
            res,
            413,
            'PAYLOAD_TOO_LARGE',
            `Request bodies are limited to ${GATEWAY_MAX_BODY_BYTES} bytes`,
            requestId,
          );
        }
        throw error;
      }

      const methodArn = `arn:aws:execute-api:us-east-1:000000000000:local/local/${method}${url.pathname}`;
      let authorizerContext: Record<string, unknown> | undefined;
      if (match.route.access !== 'public') {
        const token = req.headers.authorization;
        if (!token) return gatewayError(res, 401, 'UNAUTHORIZED', 'Missing Authorization header', requestId);
        const result = await authorize(token, methodArn);
        if (result === 'unauthorized') return gatewayError(res, 401, 'UNAUTHORIZED', 'Invalid or expired token', requestId);
        if (!policyAllows(result.policyDocument, methodArn))
          return gatewayError(res, 403, 'FORBIDDEN', 'Not allowed for this user', requestId);
        authorizerContext = { ...(result.context ?? {}), principalId: result.principalId };
      }

      // Null-prototype maps: a header or parameter named __proto__ is a key like any other, not the object's prototype.
      const headers: Record<string, string> = Object.create(null);
      const multiValueHeaders: Record<string, string[]> = Object.create(null);
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined) continue;
        const values = Array.isArray(v) ? v : [v];
        headers[k] = values.join(',');
        multiValueHeaders[k] = values;
      }
      const query: Record<string, string> = Object.create(null);
      const multiQuery: Record<string, string[]> = Object.create(null);
      for (const [k, v] of url.searchParams) {
        query[k] = v;
        multiQuery[k] = [...(multiQuery[k] ?? []), v];
      }
      const event: APIGatewayProxyEvent = {
        resource: match.route.path,
        path: url.pathname,
        httpMethod: method,
        headers,
        multiValueHeaders,
        queryStringParameters: Object.keys(query).length ? query : null,
        multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
        pathParameters: match.params.length ? pathParameters : null,
        stageVariables: null,
        body: body.length ? body.toString('utf8') : null,
        isBase64Encoded: false,
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          authorizer: authorizerContext ?? null,
          httpMethod: method,
          identity: {
            sourceIp,
            apiKey: apiKey ?? null,
            userAgent: req.headers['user-agent'] ?? null,
          } as APIGatewayProxyEvent['requestContext']['identity'],
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          requestId,
          requestTimeEpoch: Date.now(),
          resourceId: 'local',
          resourcePath: match.route.path,
          stage: 'local',
        },
      };
      let result: APIGatewayProxyResult;
      try {
        result = await invoke<APIGatewayProxyResult>(match.service, match.route.handler, event, match.route.timeoutSeconds ?? 10);
      } catch (error) {
        if (error instanceof InvocationTimeout)
          return gatewayError(res, 504, 'GATEWAY_TIMEOUT', 'The service did not answer in time', requestId);
        options.log?.({ requestId, level: 'ERROR', message: 'handler crashed', error: (error as Error).stack });
        return gatewayError(res, 502, 'BAD_GATEWAY', 'The service failed', requestId);
      }
      if (!result || typeof result.statusCode !== 'number')
        return gatewayError(res, 502, 'BAD_GATEWAY', 'Malformed service response', requestId);
      const out: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
      for (const [k, v] of Object.entries(result.headers ?? {})) out[k] = String(v);
      for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) out[k] = v.map(String);
      res.writeHead(result.statusCode, out);
      res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
    } catch (error) {
      options.log?.({ requestId, level: 'ERROR', message: 'gateway failure', error: (error as Error).stack });
      if (!res.headersSent) gatewayError(res, 500, 'INTERNAL', 'Internal gateway error', requestId);
      else res.end();
    }
  }

  return createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch(() => {
      // Last resort: a rejected listener is an unhandled rejection, which would stop the whole runtime.
      try {
        if (res.headersSent) res.destroy();
        else gatewayError(res, 500, 'INTERNAL', 'Internal gateway error', requestId);
      } catch {
        res.destroy();
      }
    });
  });
}
