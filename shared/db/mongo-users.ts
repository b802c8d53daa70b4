import { serviceDatabaseName } from './provision.ts';

/** Runs one command against the `admin` database as the cluster administrator. */
export type AdminCommand = (command: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface MongoLogin {
  user: string;
  password: string;
  roles: Array<{ role: string; db: string }>;
}

/** A service's DocumentDB user: read and write (collections, indexes) on its own database and nothing else. */
export const serviceMongoLogin = (service: string, password: string): MongoLogin => ({
  user: serviceDatabaseName(service),
  password,
  roles: [{ role: 'readWrite', db: serviceDatabaseName(service) }],
});

/** The health check's user: it may ping and read server status, and reads no collection. */
export const monitorMongoLogin = (user: string, password: string): MongoLogin => ({
  user,
  password,
  roles: [{ role: 'clusterMonitor', db: 'admin' }],
});

/**
 * Creates each user, or resets its password and roles to the secret's (idempotent; the secret is the truth, rotation
 * changes both). DocumentDB keeps every user in `admin` and scopes its built-in roles per database.
 */
export async function provisionMongoUsers(command: AdminCommand, logins: MongoLogin[]): Promise<string[]> {
  const done: string[] = [];
  for (const login of logins) {
    const info = (await command({ usersInfo: login.user })) as { users?: unknown[] };
    const exists = (info.users ?? []).length > 0;
    await command(
      exists
        ? { updateUser: login.user, pwd: login.password, roles: login.roles }
        : { createUser: login.user, pwd: login.password, roles: login.roles },
    );
    done.push(`${exists ? 'updated' : 'created'} ${login.user}`);
  }
  return done;
}
