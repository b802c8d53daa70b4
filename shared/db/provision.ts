import type pg from 'pg';

/** A service's login role and its database have the same name (offline, LocalStack and AWS). */
export const serviceDatabaseName = (service: string): string => `shop_${service}`;

/** The health check's login: CONNECT on every service database, no rights on any table. */
export const MONITOR_ROLE = 'shop_monitor';

export interface Login {
  role: string;
  password: string;
}

/** Opens a connection to `database` with the administrator's credentials; the caller's function ends it. */
export type ConnectAsAdmin = (database: string) => Promise<pg.Client>;

async function exec(client: pg.Client, template: string, ...args: string[]): Promise<void> {
  // Identifiers (%I) and passwords (%L) are quoted by the server's format(); DDL takes no bind parameters.
  const { rows } = await client.query<{ sql: string }>(
    `SELECT format($1, ${args.map((_, i) => `$${i + 2}::text`).join(', ')}) AS sql`,
    [template, ...args],
  );
  await client.query(rows[0]!.sql);
}

/** Creates the role, or sets its password to the secret's current one (the secret is the truth; rotation changes both). */
async function ensureLogin(admin: pg.Client, login: Login): Promise<void> {
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login.role]);
  await exec(
    admin,
    exists.rowCount
      ? 'ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L'
      : 'CREATE ROLE %I LOGIN PASSWORD %L',
    login.role,
    login.password,
  );
}

/**
 * Gives a service its own login role and its own database, closed to every other role: idempotent, run with the
 * cluster administrator's credentials (the AWS migration trigger, the offline engine, the integration tests).
 * - the role `shop_<service>` logs in with the service's own password and owns `shop_<service>` and everything in it
 *   (objects an earlier release created as the administrator are handed over);
 * - CONNECT and TEMPORARY on the database are revoked from PUBLIC, so no other service's role can even connect;
 * - the monitor role, if given, may connect (the health check) but reads nothing.
 */
export async function provisionServiceDatabase(
  connectAs: ConnectAsAdmin,
  service: string,
  password: string,
  monitor?: Login,
): Promise<void> {
  if (!/^[a-z][a-z0-9_]*$/.test(service)) throw new Error(`service name "${service}" is not a lowercase SQL identifier`);
  const name = serviceDatabaseName(service);
  const admin = await connectAs('postgres');
  try {
    await ensureLogin(admin, { role: name, password });
    // RDS's master user is no superuser: since PostgreSQL 16 it may hand a database to a role only as a member of it.
    const member = await admin.query('SELECT pg_has_role(current_user, $1, $2) AS ok', [name, 'SET']);
    if (!member.rows[0]?.ok) await exec(admin, 'GRANT %I TO CURRENT_USER', name);
    const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (db.rowCount) await exec(admin, 'ALTER DATABASE %I OWNER TO %I', name, name);
    else await exec(admin, 'CREATE DATABASE %I OWNER %I', name, name);
    await exec(admin, 'REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', name);
    await exec(admin, 'GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', name, name);
    if (monitor) {
      await ensureLogin(admin, monitor);
      await exec(admin, 'GRANT CONNECT ON DATABASE %I TO %I', name, monitor.role);
    }
  } finally {
    await admin.end();
  }

  const own = await connectAs(name);
  try {
    // Tables, views and free-standing sequences an earlier release created as the administrator (sequences owned by a
    // column follow their table).
    const { rows } = await own.query<{ kind: string; object: string }>(
      `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind,
              format('%I.%I', n.nspname, c.relname) AS object
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND pg_get_userbyid(c.relowner) <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))`,
      [name],
    );
    for (const r of rows) await exec(own, `ALTER ${r.kind} %s OWNER TO %I`, r.object, name);
  } finally {
    await own.end();
  }
}
