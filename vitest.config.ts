import { defineConfig } from 'vitest/config';

// Test layers by file name: *.test.ts unit (no engines), *.int.test.ts integration (real engines, started once),
// *.e2e.test.ts end to end (the offline runtime over HTTP), *.infra.test.ts CDK assertions, *.contract.test.ts AWS peers.
const ignored = ['**/node_modules/**', '**/cdk.out/**', '**/.data/**', '**/.tools/**'];
export default defineConfig({
  test: {
    pool: 'forks',
    // Tests read logs through assertions, not the console; EMF metrics are a CloudWatch concern.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_REGION: 'us-east-1',
    },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['functions/**/*.ts', 'shared/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary', 'json-summary'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{functions,shared,infra,test,scripts}/**/*.test.ts'],
          exclude: [...ignored, '**/*.{int,e2e,infra,contract}.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{functions,shared,infra,test}/**/*.int.test.ts'],
          exclude: ignored,
          globalSetup: ['test/setup/engines.ts'],
          setupFiles: ['test/setup/engine-env.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          exclude: ignored,
          globalSetup: ['test/setup/runtime.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'contract',
          include: ['{functions,shared}/**/*.contract.test.ts'],
          exclude: ignored,
          globalSetup: ['test/setup/moto.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['infra/**/*.infra.test.ts'],
          exclude: ignored,
          testTimeout: 120_000,
        },
      },
    ],
  },
});
