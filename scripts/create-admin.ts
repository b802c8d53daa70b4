// Creates an admin account in the users database (admins never come from self-registration).
//   DATABASE_URL_USERS=postgres://... ADMIN_PASSWORD=... npx tsx scripts/create-admin.ts --email ops@example.com [--name "Ops"]
// In AWS, DATABASE_SECRET_ARN_USERS (the RDS secret) works instead of DATABASE_URL_USERS. Without ADMIN_PASSWORD the
// password is read from the first line of stdin, so it stays out of the shell history. Idempotent for an existing admin.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { ensureAdmin } from '../functions/users/domain/accounts.ts';
import { PgUserStore } from '../functions/users/store/pg-users.ts';
import { closePools, poolFor } from '../shared/db/postgres.ts';
import { AppError } from '../shared/errors.ts';
import '../shared/events/users.ts';

const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string', default: 'Administrator' } } });
const email = values.email ?? process.env.ADMIN_EMAIL;
if (!email) {
  console.error(
    'usage: npx tsx scripts/create-admin.ts --email <email> [--name <name>]  (password in ADMIN_PASSWORD or on stdin)',
  );
  process.exit(2);
}

async function readPassword(): Promise<string> {
  if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new Error('no password given');
}

try {
  // No fast-path relay here: the user.registered event waits in the outbox for the scheduled relay.
  const users = new PgUserStore(await poolFor('users'));
  const { user, created } = await ensureAdmin(
    { users, now: () => new Date() },
    { email, password: await readPassword(), name: values.name },
    { correlationId: `create-admin-${Date.now()}` },
  );
  console.log(created ? `created admin ${user.email} (${user.id})` : `${user.email} is already an admin (${user.id})`);
} catch (error) {
  const details = error instanceof AppError && error.details ? ` ${JSON.stringify(error.details)}` : '';
  console.error(`create-admin failed: ${(error as Error).message}${details}`);
  process.exitCode = 1;
} finally {
  await closePools();
}
