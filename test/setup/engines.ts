import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { allTables, postgresServices } from '../../functions/catalog.ts';
import { startEngines } from '../../infra/offline/engines/index.ts';
import { migrateService } from '../../infra/offline/runtime.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    engineEnv: Record<string, string>;
  }
}

/** Starts the real engines once per test run, on free ports in a temp dir, and migrates every service database. */
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'shop-int-'));
  // `scratch` is a database for tests of shared code (outbox, migrations) that no service owns.
  const databases = [...postgresServices(), 'scratch'];
  const engines = await startEngines({
    dataDir,
    ports: 'free',
    postgresServices: databases,
    tables: allTables(),
    persistDynamo: false,
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  try {
    for (const service of databases) {
      const pool = new pg.Pool({ connectionString: engines.env[`DATABASE_URL_${service.toUpperCase()}`] });
      try {
        await migrateService(pool, service);
      } finally {
        await pool.end();
      }
    }
  } catch (error) {
    // Vitest runs no teardown for a setup that threw: without this the engines outlive the run.
    await engines.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  project.provide('engineEnv', {
    ...engines.env,
    STAGE: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    DATA_DIR: dataDir,
  });
  return async () => {
    await engines.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
