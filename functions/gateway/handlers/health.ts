import { httpRoute } from '../../../shared/http/handler.ts';
import { services } from '../../catalog.ts';
import { checkHealth } from '../domain/health.ts';
import { storeProbes } from '../store/probes.ts';

export const handler = httpRoute({ access: 'public' }, async () => {
  const report = await checkHealth(storeProbes());
  return {
    status: report.status === 'ok' ? 200 : 503,
    body: { ...report, services: services.map((s) => ({ name: s.name, routes: s.routes.length })) },
  };
});
