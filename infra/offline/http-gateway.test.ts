import { describe, expect, it } from 'vitest';
import { defineService } from '../../shared/service.ts';
import { compileRoutes } from './http-gateway.ts';
import { RateLimiter } from './rate-limit.ts';

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
});
