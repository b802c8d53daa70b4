import * as z from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { services } from '../../catalog.ts';
import { checkHealth } from '../domain/health.ts';
import { storeProbes } from '../store/probes.ts';

const HealthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  checkedAt: z.iso.datetime(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), latencyMs: z.number().nonnegative() })),
  services: z.array(z.object({ name: z.string(), routes: z.number().int().nonnegative() })),
});
const example = {
  status: 'ok',
  checkedAt: '2026-01-15T09:30:00.000Z',
  checks: [{ name: 'postgres:users', ok: true, detail: 'select 1', latencyMs: 3 }],
  services: [{ name: 'users', routes: 9 }],
};

export const handler = httpRoute(
  {
    access: 'public',
    schemas: {
      response: {
        status: 200,
        body: HealthBody.describe('Every engine and service; 503 with the same body when one is down'),
        example,
        alsoStatuses: [503],
      },
    },
  },
  async () => {
    const report = await checkHealth(storeProbes());
    return {
      status: report.status === 'ok' ? 200 : 503,
      body: { ...report, services: services.map((s) => ({ name: s.name, routes: s.routes.length })) },
    };
  },
);
