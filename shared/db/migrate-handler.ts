import { join } from 'node:path';
import { z } from 'zod';
import { serviceConfig } from '../config.ts';
import { logger } from '../observability.ts';
import { migrate, readMigrations } from './migrate.ts';
import { poolFor } from './postgres.ts';

const MigrateEnv = z.object({
  MIGRATE_SERVICE: z.string().regex(/^[a-z]+$/),
  DATABASE_SECRET_ARN_ADMIN: z.string().optional(),
  LAMBDA_TASK_ROOT: z.string().default(process.cwd()),
});

/**
 * Runs a service's migrations in AWS, as a CDK Trigger after the database is up (and again when they change).
 * The bundle carries `migrations/` (shared outbox tables first, then the service's own files).
 * Creates the service database `shop_<service>` on first run, using the cluster's admin credentials.
 */
export async function handler(): Promise<{ applied: string[] }> {
  const env = serviceConfig(MigrateEnv);
  const service = env.MIGRATE_SERVICE;
  const admin = await poolFor('admin');
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [`shop_${service}`]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE shop_${service}`);
  const root = join(env.LAMBDA_TASK_ROOT, 'migrations');
  const applied = await migrate(await poolFor(service), await readMigrations(join(root, 'shared'), join(root, 'service')));
  logger.info('migrations applied', { service, applied });
  return { applied };
}
