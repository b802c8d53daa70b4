import { defineService } from '../../shared/service.ts';

export default defineService({
  name: 'gateway',
  description: 'The API front door: health, docs and the Lambda authorizer',
  stores: {},
  authorizer: { handler: 'handlers/authorizer', resultTtlSeconds: 300 },
  routes: [
    {
      method: 'GET',
      path: '/health',
      handler: 'handlers/health',
      access: 'public',
      apiKeyRequired: false,
      probesEveryStore: true,
      summary: 'Health of every engine and service',
    },
    {
      method: 'GET',
      path: '/openapi.json',
      handler: 'handlers/openapi',
      access: 'public',
      apiKeyRequired: false,
      summary: 'OpenAPI 3.1 description of this API, generated from the handlers’ zod schemas',
    },
    {
      method: 'GET',
      path: '/docs',
      handler: 'handlers/docs',
      access: 'public',
      apiKeyRequired: false,
      summary: 'The API reference page (Swagger UI, served from its own files)',
      bundle: [['node_modules/swagger-ui-dist', 'swagger-ui']],
    },
  ],
});
