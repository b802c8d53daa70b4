import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from './migrate.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL_SCRATCH });
afterAll(() => pool.end());

describe('migrate (real PostgreSQL)', () => {
  const suffix = Math.random().toString(36).slice(2, 8);
  const table = `widgets_${suffix}`;
  const first = [{ id: `100_${suffix}_create`, sql: `CREATE TABLE ${table} (id text PRIMARY KEY)` }];

  it('applies each migration once and records it', async () => {
    expect(await migrate(pool, first)).toEqual([first[0]!.id]);
    expect(await migrate(pool, first)).toEqual([]);
    const { rows } = await pool.query('SELECT id FROM schema_migrations WHERE id = $1', [first[0]!.id]);
    expect(rows).toHaveLength(1);
  });

  it('rolls back a failing migration entirely and records nothing', async () => {
    const broken = [
      ...first,
      { id: `101_${suffix}_broken`, sql: `ALTER TABLE ${table} ADD COLUMN name text; SELECT no_such_function();` },
    ];
    await expect(migrate(pool, broken)).rejects.toThrow(/101_.*failed/);
    const cols = await pool.query('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [table]);
    expect(cols.rows.map((r) => r.column_name)).toEqual(['id']);
    const recorded = await pool.query('SELECT 1 FROM schema_migrations WHERE id = $1', [broken[1]!.id]);
    expect(recorded.rowCount).toBe(0);
  });

  it('refuses a migration that changed after it was applied', async () => {
    await expect(migrate(pool, [{ id: first[0]!.id, sql: `${first[0]!.sql} -- edited` }])).rejects.toThrow(
      /changed after it was applied/,
    );
  });

  it('lets concurrent runners apply a migration exactly once', async () => {
    const m = [{ id: `102_${suffix}_concurrent`, sql: `CREATE TABLE concurrent_${suffix} (id int)` }];
    const results = await Promise.all([migrate(pool, m), migrate(pool, m), migrate(pool, m)]);
    expect(results.flat()).toEqual([m[0]!.id]);
  });
});
