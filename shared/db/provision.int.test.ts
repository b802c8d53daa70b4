import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresServices } from '../../functions/catalog.ts';
import { provisionServiceDatabase, serviceDatabaseName } from './provision.ts';

// The integration engines' superuser, as infra/offline/engines/postgres.ts creates it.
const server = new URL(process.env.DATABASE_URL_SCRATCH!);
const urlFor = (user: string, password: string, database: string) =>
  `postgres://${user}:${password}@${server.hostname}:${server.port}/${database}`;
const opened: pg.Client[] = [];
async function connect(user: string, password: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urlFor(user, password, database), connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  opened.push(client);
  return client;
}
const connectAsAdmin = (database: string) => connect('postgres', 'postgres', database);
afterAll(async () => {
  await Promise.all(opened.map((c) => c.end().catch(() => {})));
});

const suffix = Math.random().toString(36).slice(2, 8);
const a = `prova${suffix}`;
const b = `provb${suffix}`;
const monitor = { role: `shop_monitor_${suffix}`, password: 'monitor-pass' };
const passwordOf = (service: string) => `${service}-pass`;
const as = (service: string, database = service) =>
  connect(serviceDatabaseName(service), passwordOf(service), serviceDatabaseName(database));

describe('per-service database logins (real PostgreSQL)', () => {
  it('gives each service a role that owns its database and reaches no other', async () => {
    await provisionServiceDatabase(connectAsAdmin, a, passwordOf(a), monitor);
    await provisionServiceDatabase(connectAsAdmin, b, passwordOf(b), monitor);
    const ownA = await as(a);
    await ownA.query('CREATE TABLE cards (id text PRIMARY KEY, number text)');
    await ownA.query("INSERT INTO cards VALUES ('c1', '4242')");

    await expect(as(b, a)).rejects.toMatchObject({ code: '42501' });
    await expect(as(a, b)).rejects.toMatchObject({ code: '42501' });
    const owner = await ownA.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [
      serviceDatabaseName(a),
    ]);
    expect(owner.rows[0].owner).toBe(serviceDatabaseName(a));
  });

  it('lets the monitor connect to every service database and read none of its rows', async () => {
    const probe = await connect(monitor.role, monitor.password, serviceDatabaseName(a));
    expect((await probe.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    await expect(probe.query('SELECT * FROM cards')).rejects.toMatchObject({ code: '42501' });
    await expect(probe.query('CREATE TABLE planted (id int)')).rejects.toMatchObject({ code: '42501' });
  });

  it('is idempotent, hands over objects the administrator created, and follows a changed password', async () => {
    const adminInA = await connectAsAdmin(serviceDatabaseName(a));
    await adminInA.query('CREATE TABLE legacy (id serial PRIMARY KEY)');
    await adminInA.query('CREATE SEQUENCE legacy_numbers');
    await provisionServiceDatabase(connectAsAdmin, a, 'rotated-pass', monitor);
    const owners = await adminInA.query(
      "SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname IN ('legacy', 'legacy_numbers', 'legacy_id_seq', 'cards') ORDER BY relname",
    );
    expect(owners.rows).toEqual(
      ['cards', 'legacy', 'legacy_id_seq', 'legacy_numbers'].map((relname) => ({ relname, owner: serviceDatabaseName(a) })),
    );
    await expect(as(a)).rejects.toMatchObject({ code: '28P01' });
    const rotated = await connect(serviceDatabaseName(a), 'rotated-pass', serviceDatabaseName(a));
    expect((await rotated.query('SELECT number FROM cards')).rows).toEqual([{ number: '4242' }]);
    await expect(as(b, a)).rejects.toMatchObject({ code: '42501' });
  });

  it("closes each catalog service's database to every other service's role, as the offline engine creates them", async () => {
    const owners = [...postgresServices(), 'scratch'];
    const urls = Object.fromEntries(owners.map((s) => [s, new URL(process.env[`DATABASE_URL_${s.toUpperCase()}`]!)]));
    for (const from of owners) {
      for (const to of owners.filter((o) => o !== from)) {
        const url = urls[from]!;
        await expect(
          connect(decodeURIComponent(url.username), decodeURIComponent(url.password), serviceDatabaseName(to)),
          `${from} → ${to}`,
        ).rejects.toMatchObject({ code: '42501' });
      }
    }
  });
});
