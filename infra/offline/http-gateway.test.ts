import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { defineService } from '../../shared/service.ts';
import { compileRoutes, createHttpGateway, type GatewayOptions } from './http-gateway.ts';
import { MAX_BUCKETS, RateLimiter } from './rate-limit.ts';

describe('compileRoutes', () => {
  const svc = defineService({
    name: 'orders',
    description: 't',
    stores: {},
    routes: [
      { method: 'GET', path: '/orders/{id}', handler: 'handlers/get', access: 'user', summary: '' },
      { method: 'GET', path: '/orders/user/{userId}', handler: 'handlers/by-user', access: 'user', summary: '' },
    ],
  });

  it('prefers literal segments over parameters, as API Gateway does', () => {
    const routes = compileRoutes([svc]);
    const match = routes.find((r) => r.pattern.test('/orders/user/usr_1'));
    expect(match?.route.handler).toBe('handlers/by-user');
    expect(routes.find((r) => r.pattern.test('/orders/ord_1'))?.route.handler).toBe('handlers/get');
    expect(routes.some((r) => r.pattern.test('/orders/a/b/c'))).toBe(false);
  });

  it('refuses a catalog that declares the same route twice', () => {
    expect(() =>
      defineService({
        name: 'x',
        description: '',
        stores: {},
        routes: [
          { method: 'GET', path: '/a', handler: 'handlers/a', access: 'public', summary: '' },
          { method: 'GET', path: '/a', handler: 'handlers/b', access: 'public', summary: '' },
        ],
      }),
    ).toThrow(/declared twice/);
  });
});

describe('RateLimiter', () => {
  it('allows a burst, then one call per 1/rate seconds, and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([0, 0, 0]);
    expect(limiter.take('k')).toBeCloseTo(0.5);
    now = 500;
    expect(limiter.take('k')).toBe(0);
    expect(limiter.take('other')).toBe(0);
  });

  it('forgets the least recently seen callers when full, never a caller seen lately', () => {
    const limiter = new RateLimiter(1, 1, () => 0);
    limiter.take('hot');
    limiter.take('cold');
    for (let i = 0; i < MAX_BUCKETS; i++) {
      limiter.take(`crowd-${i}`);
      if (i % 1000 === 0) expect(limiter.take('hot')).toBeGreaterThan(0);
    }
    expect(limiter.take('hot')).toBeGreaterThan(0);
    expect(limiter.take('cold')).toBe(0);
  });
});

describe('createHttpGateway throttling and API keys', () => {
  const docsOnly = defineService({
    name: 'gateway',
    description: 'the docs route, throttled hard',
    stores: {},
    routes: [
      {
        method: 'GET',
        path: '/docs',
        handler: 'handlers/docs',
        access: 'public',
        summary: '',
        throttle: { rateLimit: 1, burstLimit: 2 },
      },
      { method: 'GET', path: '/open', handler: 'handlers/docs', access: 'public', summary: '', apiKeyRequired: false },
      { method: 'POST', path: '/upload', handler: 'handlers/docs', access: 'public', summary: '', apiKeyRequired: false },
      {
        method: 'GET',
        path: '/open-throttled',
        handler: 'handlers/docs',
        access: 'public',
        summary: '',
        apiKeyRequired: false,
        throttle: { rateLimit: 1, burstLimit: 2 },
      },
      // The handler does not exist: a request that reaches it answers 502, not the 400 a bad parameter must get.
      { method: 'GET', path: '/things/{id}', handler: 'handlers/missing', access: 'user', summary: '', apiKeyRequired: false },
      { method: 'GET', path: '/mine', handler: 'handlers/missing', access: 'user', summary: '' },
    ],
  });

  async function withGateway(run: (url: string) => Promise<void>, overrides: Partial<GatewayOptions> = {}) {
    const server = createHttpGateway({
      services: [docsOnly],
      apiKeys: [{ name: 'small-plan', value: 'key-small', rateLimit: 1, burstLimit: 3 }],
      rateLimit: 100,
      burstLimit: 100,
      // Frozen: the buckets never refill during a test, however slow the machine (a refill is the limiter unit's job).
      now: () => 0,
      ...overrides,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    try {
      await run(`http://127.0.0.1:${port}`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }

  it('answers over the route throttle with 429, Retry-After and the error body', async () => {
    await withGateway(async (url) => {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await fetch(`${url}/docs`, { headers: { 'x-api-key': 'key-small' } });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await last!.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS' } });
    });
  });

  it('answers a signed-in route without an Authorization header 401 before it looks at the API key, as API Gateway does', async () => {
    await withGateway(async (url) => {
      const res = await fetch(`${url}/mine`);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      expect((await fetch(`${url}/mine`, { headers: { authorization: 'Bearer x' } })).status).toBe(403);
    });
  });

  it('passes a query parameter or header named __proto__ on as a key, not a 500 (found by schemathesis)', async () => {
    await withGateway(async (url) => {
      expect((await fetch(`${url}/open?__proto__=false&constructor=1`)).status).toBe(200);
      expect((await fetch(`${url}/open?__proto__=a&__proto__=b`, { headers: { ['__proto__']: 'x' } })).status).toBe(200);
    });
  });

  it('meters by usage plan across routes, and refuses missing or unknown keys with 403', async () => {
    await withGateway(async (url) => {
      expect((await fetch(`${url}/docs`)).status).toBe(403);
      expect((await fetch(`${url}/docs`, { headers: { 'x-api-key': 'nope' } })).status).toBe(403);
      expect((await fetch(`${url}/open`)).status).toBe(200);
      const withKey = async (path: string) => (await fetch(`${url}${path}`, { headers: { 'x-api-key': 'key-small' } })).status;
      const statuses = [await withKey('/open'), await withKey('/open'), await withKey('/open'), await withKey('/open')];
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses[3]).toBe(429);
    });
  });

  it('meters callers without a valid key by address, so a fresh junk key per request gets no fresh bucket', async () => {
    await withGateway(async (url) => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await fetch(`${url}/open-throttled`, { headers: { 'x-api-key': `junk-${i}` } })).status);
      expect(statuses).toEqual([200, 200, 429]);
    });
  });

  it('lets a client finish an oversized upload and read the 413, every time', async () => {
    await withGateway(async (url) => {
      const big = 'x'.repeat(11 * 1024 * 1024);
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${url}/upload`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
        expect(res.status).toBe(413);
        expect(await res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
      }
      const res = await fetch(`${url}/docs`, { method: 'GET', headers: { 'x-api-key': 'key-small' } });
      expect(res.status).toBe(200);
    });
  });

  /** Sends one raw request line (fetch would normalise the target); HTTP/1.0 so the body comes back unchunked. */
  function rawGet(url: string, target: string): Promise<string> {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
      let answer = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.0\r\nHost: localhost\r\n\r\n`));
      socket.on('data', (d) => {
        answer += String(d);
      });
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  it('answers a request target that is not a plain path with a JSON 400, and keeps serving', async () => {
    await withGateway(
      async (url) => {
        for (const target of ['//', '//[::1', '//a:b@', '/\\evil.example/docs']) {
          const answer = await rawGet(url, target);
          expect(answer, target).toMatch(/^HTTP\/1\.[01] 400 /);
          const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
          expect(body).toEqual({ error: { code: 'BAD_REQUEST', message: expect.any(String), requestId: expect.any(String) } });
        }
        expect((await fetch(`${url}/open`)).status).toBe(200);
        // Absolute-form targets are routed on their path (RFC 9112 §3.2.2), whatever host they name.
        expect(await rawGet(url, 'http://elsewhere.example/open?x=1')).toMatch(/^HTTP\/1\.[01] 200 /);
        expect(await rawGet(url, 'http://elsewhere.example//evil')).toMatch(/^HTTP\/1\.[01] 400 /);
        // The local endpoints too (runtime.ts serves /metrics and /_local/* through `extra`, matching on req.url).
        expect(await rawGet(url, 'http://elsewhere.example/_local/ping?x=1')).toMatch(
          /^HTTP\/1\.[01] 200 [\s\S]*pong \/_local\/ping\?x=1$/,
        );
      },
      {
        extra: (req, res) => {
          if ((req.url ?? '').split('?')[0] !== '/_local/ping') return false;
          res.end(`pong ${req.url}`);
          return true;
        },
      },
    );
  });

  it('answers malformed percent-encoding in a path parameter with 400, before the authorizer or the handler', async () => {
    await withGateway(async (url) => {
      for (const id of ['%ZZ', '%E0%A4%A']) {
        const res = await fetch(`${url}/things/${id}`);
        expect(res.status, id).toBe(400);
        expect(await res.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
      }
      expect((await fetch(`${url}/things/ok`)).status).toBe(401);
    });
  });

  it('still answers, and keeps serving, when its own error handling throws', async () => {
    let failing = true;
    const overrides: Partial<GatewayOptions> = {
      extra: () => {
        if (failing) throw new Error('local endpoint broke');
        return false;
      },
      log: (line) => {
        if (line.level === 'ERROR') throw new Error('log sink broke');
      },
    };
    await withGateway(async (url) => {
      const res = await fetch(`${url}/open`);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: 'INTERNAL' } });
      failing = false;
      expect((await fetch(`${url}/open`)).status).toBe(200);
    }, overrides);
  });
});
