import { describe, expect, it } from 'vitest';
import { monitorMongoLogin, provisionMongoUsers, serviceMongoLogin } from './mongo-users.ts';

/** An `admin` database that knows users and records the commands it ran. */
function fakeAdmin(existing: string[]) {
  const users = new Set(existing);
  const ran: Array<Record<string, unknown>> = [];
  const command = async (c: Record<string, unknown>) => {
    ran.push(c);
    if ('usersInfo' in c) return { users: users.has(String(c.usersInfo)) ? [{ user: c.usersInfo }] : [] };
    if ('createUser' in c) users.add(String(c.createUser));
    return { ok: 1 };
  };
  return { command, ran };
}

describe('provisionMongoUsers', () => {
  it('creates a user per service scoped to its own database, and a monitor with no data role', async () => {
    const admin = fakeAdmin([]);
    const done = await provisionMongoUsers(admin.command, [
      serviceMongoLogin('products', 'p1'),
      serviceMongoLogin('notifications', 'n1'),
      monitorMongoLogin('shop_monitor', 'm1'),
    ]);
    expect(done).toEqual(['created shop_products', 'created shop_notifications', 'created shop_monitor']);
    const creates = admin.ran.filter((c) => 'createUser' in c);
    expect(creates).toEqual([
      { createUser: 'shop_products', pwd: 'p1', roles: [{ role: 'readWrite', db: 'shop_products' }] },
      { createUser: 'shop_notifications', pwd: 'n1', roles: [{ role: 'readWrite', db: 'shop_notifications' }] },
      { createUser: 'shop_monitor', pwd: 'm1', roles: [{ role: 'clusterMonitor', db: 'admin' }] },
    ]);
  });

  it('updates an existing user to the secret’s password and roles instead of failing (idempotent)', async () => {
    const admin = fakeAdmin(['shop_products']);
    expect(await provisionMongoUsers(admin.command, [serviceMongoLogin('products', 'rotated')])).toEqual([
      'updated shop_products',
    ]);
    expect(admin.ran.at(-1)).toEqual({
      updateUser: 'shop_products',
      pwd: 'rotated',
      roles: [{ role: 'readWrite', db: 'shop_products' }],
    });
  });
});
