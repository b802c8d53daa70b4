import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { resetConfig } from '../config.ts';
import { Conflict, TooManyRequests } from '../errors.ts';
import { httpRoute } from './handler.ts';

const context = { awsRequestId: 'req-1', functionName: 'test', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

function event(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: '/things/{id}',
    path: '/things/t1',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { id: 't1' },
    stageVariables: null,
    body: JSON.stringify({ name: 'lamp', quantity: 2 }),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      authorizer: { userId: 'usr_1', role: 'customer' },
    } as unknown as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

const schemas = {
  body: z.object({ name: z.string().min(1), quantity: z.number().int().positive() }).strict(),
  path: z.object({ id: z.string() }),
};
const handler = httpRoute({ access: 'user', schemas }, async (req) => ({
  status: 201,
  body: { id: req.path.id, name: req.body.name, quantity: req.body.quantity, by: req.principal.userId },
}));
const echoCorrelation = httpRoute({ access: 'public' }, async (req) => ({ body: { correlationId: req.correlationId } }));
const adminOnly = httpRoute({ access: 'admin' }, async () => ({ body: { ok: true } }));

const json = (body: string) => JSON.parse(body) as { error: { code: string; message: string; details?: unknown } };

beforeAll(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  resetConfig();
});

describe('httpRoute', () => {
  it("carries the caller's correlation id when it is a sane id, and the request id otherwise", async () => {
    const seen = async (value: string) => {
      const res = await echoCorrelation(
        event({ httpMethod: 'GET', body: null, headers: { 'X-Correlation-Id': value } }),
        context,
      );
      return [JSON.parse(res.body).correlationId, res.headers?.['x-correlation-id']];
    };
    expect(await seen('checkout-7f3a:42')).toEqual(['checkout-7f3a:42', 'checkout-7f3a:42']);
    for (const bad of ['', ' ', 'x'.repeat(129), 'evil\nInjected: header', '{"$gt":""}'])
      expect(await seen(bad)).toEqual(['req-1', 'req-1']);
  });

  it('passes validated input to the function and returns its result with security headers', async () => {
    const res = await handler(event(), context);
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ id: 't1', name: 'lamp', quantity: 2, by: 'usr_1' });
    expect(res.headers).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'x-request-id': 'req-1',
      'Cache-Control': 'no-store',
    });
  });

  it('rejects malformed JSON with 400 MALFORMED_JSON-style details', async () => {
    const res = await handler(event({ body: '{"name": "lamp",' }), context);
    expect(res.statusCode).toBe(400);
    expect(json(res.body).error.code).toBe('BAD_REQUEST');
    expect(json(res.body).error.message).toMatch(/not valid JSON/);
  });

  it('rejects a body that is not JSON by content type with 415', async () => {
    const res = await handler(event({ headers: { 'content-type': 'text/plain' } }), context);
    expect(res.statusCode).toBe(415);
    expect(json(res.body).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects an oversized body with 413 before parsing it', async () => {
    const res = await handler(event({ body: JSON.stringify({ name: 'x'.repeat(300 * 1024), quantity: 1 }) }), context);
    expect(res.statusCode).toBe(413);
    expect(json(res.body).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects a missing body with 400', async () => {
    const res = await handler(event({ body: null }), context);
    expect(res.statusCode).toBe(400);
  });

  it('reports every schema violation with its path', async () => {
    const res = await handler(event({ body: JSON.stringify({ name: '', quantity: -1, role: 'admin' }) }), context);
    expect(res.statusCode).toBe(400);
    const body = json(res.body);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    const paths = (body.error.details as Array<{ path: string }>).map((d) => d.path).sort();
    expect(paths).toEqual(['', 'name', 'quantity']);
  });

  it('refuses prototype pollution keys in JSON bodies', async () => {
    const res = await handler(event({ body: '{"__proto__": {"admin": true}, "name": "a", "quantity": 1}' }), context);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });

  it('answers 401 without a principal and 403 for a customer on an admin route', async () => {
    const anonymous = event({ requestContext: { requestId: 'r' } as unknown as APIGatewayProxyEvent['requestContext'] });
    expect((await handler(anonymous, context)).statusCode).toBe(401);
    expect((await adminOnly(event({ body: null }), context)).statusCode).toBe(403);
  });

  it('maps typed errors, with Retry-After for 429, and hides unknown errors behind an opaque 500', async () => {
    const conflict = httpRoute({ access: 'public' }, async () => {
      throw new Conflict('Email already registered');
    });
    const limited = httpRoute({ access: 'public' }, async () => {
      throw new TooManyRequests('Slow down', 30);
    });
    const crashing = httpRoute({ access: 'public' }, async () => {
      throw new Error('connection string postgres://secret@db');
    });
    const c = await conflict(event(), context);
    expect(c.statusCode).toBe(409);
    expect(json(c.body).error).toMatchObject({ code: 'CONFLICT', message: 'Email already registered' });
    const l = await limited(event(), context);
    expect(l.statusCode).toBe(429);
    expect(l.headers?.['Retry-After']).toBe('30');
    const x = await crashing(event(), context);
    expect(x.statusCode).toBe(500);
    expect(x.body).not.toContain('secret');
    expect(json(x.body).error.code).toBe('INTERNAL');
  });
});
