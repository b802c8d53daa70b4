import { join } from 'node:path';
import pg from 'pg';
import * as z from 'zod';
import { config, serviceConfig } from '../config.ts';
import { logger } from '../observability.ts';
import { migrate, readMigrations } from './migrate.ts';
import { poolFor } from './postgres.ts';
import { MONITOR_ROLE, provisionServiceDatabase, serviceDatabaseName } from './provision.ts';
import { postgresUrl, readDatabaseSecret } from './secrets.ts';

const MigrateEnv = z.object({
  MIGRATE_SERVICE: z.string().regex(/^[a-z]+$/),
  /** The cluster's master secret: only the migration triggers can read it. */
  DATABASE_SECRET_ARN_ADMIN: z.string(),
  /** The health check's login (CONNECT only), provisioned alongside each service. */
  DATABASE_MONITOR_SECRET_ARN: z.string().optional(),
  LAMBDA_TASK_ROOT: z.string().default(process.cwd()),
});

/**
 * Runs a service's migrations in AWS, as a CDK Trigger after the database is up (and again when they change).
 * First, as the cluster administrator, it gives the service its own login role and database (idempotent, see
 * provision.ts); then it applies the migrations as the service's own role, so the service owns its tables.
 * The bundle carries `migrations/` (shared outbox tables first, then the service's own files).
 */
export async function handler(): Promise<{ applied: string[] }> {
  const env = serviceConfig(MigrateEnv);
  const service = env.MIGRATE_SERVICE;
  const ownArn = config().databaseSecretArns[service];
  if (!ownArn) throw new Error(`DATABASE_SECRET_ARN_${service.toUpperCase()} is not set`);
  const [admin, own, monitor] = await Promise.all([
    readDatabaseSecret(env.DATABASE_SECRET_ARN_ADMIN),
    readDatabaseSecret(ownArn),
    env.DATABASE_MONITOR_SECRET_ARN ? readDatabaseSecret(env.DATABASE_MONITOR_SECRET_ARN) : undefined,
  ]);
  if (own.username !== serviceDatabaseName(service))
    throw new Error(`the ${service} secret logs in as ${own.username}, not ${serviceDatabaseName(service)}`);
  const connectAs = async (database: string) => {
    const client = new pg.Client({ connectionString: postgresUrl(admin, database), connectionTimeoutMillis: 10_000 });
    await client.connect();
    return client;
  };
  await provisionServiceDatabase(
    connectAs,
    service,
    own.password,
    monitor ? { role: monitor.username || MONITOR_ROLE, password: monitor.password } : undefined,
  );
  const root = join(env.LAMBDA_TASK_ROOT, 'migrations');
  const applied = await migrate(await poolFor(service), await readMigrations(join(root, 'shared'), join(root, 'service')));
  logger.info('migrations applied', { service, applied });
  return { applied };
}
