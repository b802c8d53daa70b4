import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventsOf } from '../shared/events/index.ts';
import type { HttpLambda } from '../shared/http/handler.ts';
import { services } from './catalog.ts';

// The catalog is the one description of routes and events; these checks keep the code from drifting away from it.
describe('the service catalog agrees with the code', () => {
  const routes = services.flatMap((service) => service.routes.map((route) => ({ service: service.name, route })));

  it.each(routes.map((r) => [`${r.route.method} ${r.route.path}`, r] as const))(
    '%s: the handler enforces the access the catalog (and so the authorizer, CDK and OpenAPI) declares',
    async (_name, { service, route }) => {
      const { handler } = (await import(join(import.meta.dirname, service, `${route.handler}.ts`))) as { handler: HttpLambda };
      expect(handler.contract?.access).toBe(route.access);
    },
  );

  it.each(services.map((s) => [s.name, s] as const))(
    '%s: publishes exactly the events registered for it in shared/events',
    (name, service) => {
      expect([...(service.publishes ?? [])].sort()).toEqual(eventsOf(name));
    },
  );
});
