import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';

export interface Migration {
  id: string;
  sql: string;
}

export async function readMigrations(...dirs: string[]): Promise<Migration[]> {
  const all: Migration[] = [];
  for (const dir of dirs) {
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sql')).sort();
    for (const f of files) all.push({ id: f.replace(/\.sql$/, ''), sql: await readFile(join(dir, f), 'utf8') });
  }
  return all;
}

/**
 * Applies each migration once, in order, each in its own transaction, and records it with a checksum.
 * An advisory lock keeps concurrent runners (several containers, several test workers) from racing.
 * A recorded migration whose file changed since is an error: migrations are append-only.
 */
export async function migrate(pool: pg.Pool, migrations: Migration[]): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(727272)');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map(
      (await client.query<{ id: string; checksum: string }>('SELECT id, checksum FROM schema_migrations')).rows.map((r) => [
        r.id,
        r.checksum,
      ]),
    );
    for (const m of migrations) {
      const checksum = createHash('sha256').update(m.sql).digest('hex');
      const recorded = done.get(m.id);
      if (recorded) {
        if (recorded !== checksum) throw new Error(`Migration ${m.id} was changed after it was applied`);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (id, checksum) VALUES ($1, $2)', [m.id, checksum]);
        await client.query('COMMIT');
        applied.push(m.id);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${m.id} failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(727272)').catch(() => {});
    client.release();
  }
  return applied;
}
