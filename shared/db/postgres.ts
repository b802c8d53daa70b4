import pg from 'pg';
import { cachedBy } from '../cache.ts';
import { config } from '../config.ts';
import { DependencyFailed } from '../errors.ts';
import { postgresUrl, readDatabaseSecret } from './secrets.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

// Bigint columns (sequence numbers, counts) come back as numbers; they stay far below 2^53 here.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

async function connectionString(service: string): Promise<string> {
  const cfg = config();
  const url = cfg.databaseUrls[service];
  if (url) return url;
  const secretArn = cfg.databaseSecretArns[service];
  if (secretArn) {
    // Same database naming as offline: each service owns `shop_<service>` on the cluster; `admin` is the maintenance database.
    return postgresUrl(await readDatabaseSecret(secretArn), service === 'admin' ? 'postgres' : `shop_${service}`);
  }
  throw new Error(`No database configured for ${service}: set DATABASE_URL_${service.toUpperCase()}`);
}

const pools = cachedBy(async (service: string) => {
  const pool = new pg.Pool({
    connectionString: await connectionString(service),
    max: 5,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 10_000,
    query_timeout: 12_000,
    application_name: `shop-${service}`,
  });
  // An idle client's network error must not crash the process; the pool drops that client.
  pool.on('error', () => {});
  // Nor may a checked-out one's (the server stopping mid-query): its query rejects, which the caller handles.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
});

/**
 * One pool per service database per container, created on first use and reused by every invocation.
 * Small pools: a Lambda container serves one request at a time; RDS Proxy multiplexes in AWS.
 */
export function poolFor(service: string): Promise<pg.Pool> {
  return pools.get(service);
}

export async function closePools(): Promise<void> {
  await Promise.all(pools.drain().map(async (p) => (await p)?.end()));
}

/** Runs `work` in one transaction; rolls back on any error. Serialization failures are retried. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw new DependencyFailed('Database unavailable', { cause: (error as Error).message });
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (error as { code?: string }).code;
      if ((code === '40001' || code === '40P01') && attempt < attempts) continue;
      throw error;
    } finally {
      client.release();
    }
  }
}

/** PostgreSQL unique violation, e.g. a duplicate email. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === '23505' && (!constraint || e.constraint === constraint);
}
