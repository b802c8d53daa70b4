// Before `cdklocal deploy` (npm run deploy:local): gives each service its own login and database in the compose
// containers, exactly as the AWS triggers do (shared/db/provision.ts, shared/db/mongo-users.ts), then migrates each
// Postgres database as its own service's role. Idempotent; run it again after adding a service.
//   LOCAL_POSTGRES_URL (default postgres://shop_admin:shop_admin_local@127.0.0.1:55433/postgres)
//   LOCAL_MONGO_URL    (default mongodb://shop_admin:shop_admin_local@127.0.0.1:57018/?authSource=admin)
import mongoose from 'mongoose';
import pg from 'pg';
import { mongoServices, postgresServices } from '../../functions/catalog.ts';
import { localPassword } from '../../infra/config.ts';
import { migrateService } from '../../infra/offline/runtime.ts';
import { monitorMongoLogin, provisionMongoUsers, serviceMongoLogin } from '../../shared/db/mongo-users.ts';
import { MONITOR_ROLE, provisionServiceDatabase, serviceDatabaseName } from '../../shared/db/provision.ts';

const adminUrl = process.env.LOCAL_POSTGRES_URL ?? 'postgres://shop_admin:shop_admin_local@127.0.0.1:55433/postgres';
const mongoUrl = process.env.LOCAL_MONGO_URL ?? 'mongodb://shop_admin:shop_admin_local@127.0.0.1:57018/?authSource=admin';

/** The same server as `adminUrl`, as another login and database. */
function urlFor(database: string, login?: { user: string; password: string }): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (login) Object.assign(url, { username: login.user, password: login.password });
  return url.toString();
}

const connectAs = async (database: string) => {
  const client = new pg.Client({ connectionString: urlFor(database) });
  await client.connect();
  return client;
};

for (const service of postgresServices()) {
  const role = serviceDatabaseName(service);
  await provisionServiceDatabase(connectAs, service, localPassword(role), {
    role: MONITOR_ROLE,
    password: localPassword(MONITOR_ROLE),
  });
  const pool = new pg.Pool({ connectionString: urlFor(role, { user: role, password: localPassword(role) }) });
  try {
    const applied = await migrateService(pool, service);
    console.log(`postgres ${role}: ready${applied.length ? `, migrated ${applied.join(', ')}` : ''}`);
  } finally {
    await pool.end();
  }
}

if (mongoServices().length) {
  const connection = await mongoose.createConnection(mongoUrl, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  try {
    const admin = connection.db!.admin();
    const users = await provisionMongoUsers(
      (command) => admin.command(command),
      [
        ...mongoServices().map((s) => serviceMongoLogin(s, localPassword(serviceDatabaseName(s)))),
        monitorMongoLogin(MONITOR_ROLE, localPassword(MONITOR_ROLE)),
      ],
    );
    console.log(`mongo: ${users.join(', ')}`);
  } finally {
    await connection.close();
  }
}
