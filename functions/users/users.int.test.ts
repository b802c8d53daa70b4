import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type AccessTokens, accessTokens } from '../../shared/auth/tokens.ts';
import { type Pool, poolFor } from '../../shared/db/postgres.ts';
import { Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed } from '../../shared/errors.ts';
import type { EventEnvelope } from '../../shared/events/envelope.ts';
import { relayOutbox } from '../../shared/events/outbox.ts';
import type { Principal } from '../../shared/http/handler.ts';
import { RecordingPublisher } from '../../test/support/events.ts';
import { buildUsersApp, type UsersApp } from './composition.ts';
import { ensureAdmin, getUser, registerCustomer, updateUser } from './domain/accounts.ts';
import { purgeExpired } from './domain/housekeeping.ts';
import { currentScryptParams, hashPassword, needsRehash } from './domain/passwords.ts';
import type { SessionPolicy } from './domain/ports.ts';
import { changePassword, hashRefreshToken, login, logout, refreshSession } from './domain/sessions.ts';
import { PgSessionStore } from './store/pg-sessions.ts';

// verifyPassword, wrapped so a test can see which stored hashes a sign-in derived against; it still does the work.
const verifyCalls = vi.hoisted(() => vi.fn<(password: string, stored: string) => void>());
vi.mock('./domain/passwords.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('./domain/passwords.ts')>();
  return {
    ...real,
    verifyPassword: (password: string, stored: string) => {
      verifyCalls(password, stored);
      return real.verifyPassword(password, stored);
    },
  };
});

const policy: SessionPolicy = {
  refreshTokenTtlSeconds: 3600,
  perAccount: { maxFailures: 3, windowSeconds: 600, lockoutSeconds: 120 },
  perClient: { maxFailures: 6, windowSeconds: 600, lockoutSeconds: 120 },
  retention: { expiredSessionsDays: 7, eventsDays: 15 },
};
const ctx = { correlationId: 'test-correlation' };
const password = 'Correct-Horse-42';
const uniqueEmail = () => `user-${randomBytes(6).toString('hex')}@example.test`;
const uniqueIp = () => `10.${[1, 2, 3].map(() => randomBytes(1)[0]).join('.')}`;

let pool: Pool;
let tokens: AccessTokens;
let publisher: RecordingPublisher;
let app: UsersApp;

beforeAll(async () => {
  pool = await poolFor('users');
  tokens = await accessTokens();
  publisher = new RecordingPublisher();
  app = buildUsersApp(pool, tokens, publisher, policy);
});

async function outboxFor(userId: string) {
  const { rows } = await pool.query<{
    event_type: string;
    envelope: EventEnvelope<Record<string, unknown>>;
    published_at: Date | null;
  }>("SELECT event_type, envelope, published_at FROM outbox WHERE envelope->'data'->>'userId' = $1 ORDER BY seq", [userId]);
  return rows;
}

describe('registration', () => {
  it('creates a customer with a normalized email, and writes user.registered to the outbox with the contact data', async () => {
    const email = uniqueEmail();
    const user = await registerCustomer(
      app,
      { email: `  ${email.toUpperCase()} `, password, name: ' Ada ', phone: '+44 20 7946 0958' },
      ctx,
    );
    expect(user).toMatchObject({ email, name: 'Ada', role: 'customer', phone: '+44 20 7946 0958' });
    expect(user).not.toHaveProperty('passwordHash');
    const rows = await outboxFor(user.id);
    expect(rows.map((r) => r.event_type)).toEqual(['user.registered']);
    expect(rows[0]!.envelope).toMatchObject({ source: 'shop.users', correlationId: 'test-correlation' });
    expect(rows[0]!.envelope.data).toMatchObject({
      userId: user.id,
      email,
      name: 'Ada',
      phone: '+44 20 7946 0958',
      role: 'customer',
    });
    // The fast path published it right after the commit.
    expect(rows[0]!.published_at).not.toBeNull();
    expect(publisher.published.some((e) => e.id === rows[0]!.envelope.id)).toBe(true);
    const { rows: stored } = await pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
      user.id,
    ]);
    expect(stored[0]!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored[0]!.password_hash).not.toContain(password);
  });

  it('refuses a second account for the same email in any case, and leaves no event behind', async () => {
    const email = uniqueEmail();
    await registerCustomer(app, { email, password, name: 'First' }, ctx);
    await expect(registerCustomer(app, { email, password, name: 'Second' }, ctx)).rejects.toBeInstanceOf(Conflict);
    await expect(registerCustomer(app, { email: email.toUpperCase(), password, name: 'Third' }, ctx)).rejects.toBeInstanceOf(
      Conflict,
    );
    const { rows } = await pool.query("SELECT 1 FROM outbox WHERE envelope->'data'->>'email' = $1", [email]);
    expect(rows).toHaveLength(1);
  });

  it('refuses weak passwords', async () => {
    const email = uniqueEmail();
    for (const weak of ['short1A', 'alllowercaseletters', email]) {
      await expect(registerCustomer(app, { email, password: weak, name: 'Weak' }, ctx)).rejects.toBeInstanceOf(ValidationFailed);
    }
    expect(await app.users.findByEmail(email)).toBeUndefined();
  });

  it('commits the change even when the bus is down; the scheduled relay publishes it later', async () => {
    const down = new RecordingPublisher();
    down.failing = true;
    const offline = buildUsersApp(pool, tokens, down, policy);
    const user = await registerCustomer(offline, { email: uniqueEmail(), password, name: 'Offline' }, ctx);
    expect((await outboxFor(user.id))[0]!.published_at).toBeNull();
    const up = new RecordingPublisher();
    for (let i = 0; i < 20 && !up.published.some((e) => (e.data as { userId?: string }).userId === user.id); i++)
      await relayOutbox(pool, up);
    expect((await outboxFor(user.id))[0]!.published_at).not.toBeNull();
  });

  it('creates the admin once; an existing customer is not promoted', async () => {
    const email = uniqueEmail();
    const first = await ensureAdmin(app, { email, password, name: 'Admin' }, ctx);
    const again = await ensureAdmin(app, { email: email.toUpperCase(), password: 'Another-Password-1', name: 'Admin' }, ctx);
    expect(first).toMatchObject({ created: true, user: { role: 'admin' } });
    expect(again).toMatchObject({ created: false, user: { id: first.user.id } });
    const customer = await registerCustomer(app, { email: uniqueEmail(), password, name: 'C' }, ctx);
    await expect(ensureAdmin(app, { email: customer.email, password, name: 'C' }, ctx)).rejects.toBeInstanceOf(Conflict);
  });
});

describe('sign-in and sessions', () => {
  async function customer() {
    const email = uniqueEmail();
    const user = await registerCustomer(app, { email, password, name: 'Sam' }, ctx);
    return { email, user };
  }

  it('signs in with the right password, whatever the email case; the access token verifies and the refresh token is stored hashed', async () => {
    const { email, user } = await customer();
    const session = await login(app, { email: email.toUpperCase(), password, clientIp: uniqueIp() });
    expect(session).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id } });
    await expect(tokens.verify(session.accessToken)).resolves.toMatchObject({ userId: user.id, role: 'customer' });
    const { rows } = await pool.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens WHERE user_id = $1', [
      user.id,
    ]);
    expect(rows.map((r) => r.token_hash)).toEqual([hashRefreshToken(session.refreshToken)]);
  });

  it('answers a wrong password and an unknown email with the same 401, each after one full-cost scrypt', async () => {
    const { email } = await customer();
    const attempt = async (e: string) => {
      verifyCalls.mockClear();
      const error = (await login(app, { email: e, password: 'Wrong-Password-1', clientIp: uniqueIp() }).catch(
        (x: Error) => x,
      )) as Error;
      return { error, verified: verifyCalls.mock.calls.map(([, stored]) => stored) };
    };
    const wrong = await attempt(email);
    const unknown = await attempt(uniqueEmail());
    expect(wrong.error).toBeInstanceOf(Unauthorized);
    expect(unknown.error).toBeInstanceOf(Unauthorized);
    expect(unknown.error.message).toBe(wrong.error.message);
    // Cost, not wall time (a timed assertion flakes on a busy CI box): both paths derive exactly one key with
    // today's scrypt parameters, so they cost the same. Without the dummy hash the unknown email would derive none.
    for (const { verified } of [wrong, unknown]) {
      expect(verified).toHaveLength(1);
      expect(needsRehash(verified[0]!)).toBe(false);
    }
  });

  it('rotates the refresh token on every use, and a replayed one revokes the whole family', async () => {
    const { email } = await customer();
    const first = await login(app, { email, password, clientIp: uniqueIp() });
    const second = await refreshSession(app, first.refreshToken);
    const third = await refreshSession(app, second.refreshToken);
    expect(new Set([first.refreshToken, second.refreshToken, third.refreshToken]).size).toBe(3);
    await expect(tokens.verify(third.accessToken)).resolves.toMatchObject({ userId: first.user.id });
    // first was already rotated: replaying it is theft, and the current token dies with it.
    await expect(refreshSession(app, first.refreshToken)).rejects.toBeInstanceOf(Unauthorized);
    await expect(refreshSession(app, third.refreshToken)).rejects.toBeInstanceOf(Unauthorized);
    const { rows } = await pool.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [first.user.id]);
    expect(rows).toHaveLength(0);
  });

  it('lets only one of two concurrent refreshes with the same token win', async () => {
    const { email } = await customer();
    const session = await login(app, { email, password, clientIp: uniqueIp() });
    const results = await Promise.allSettled([
      refreshSession(app, session.refreshToken),
      refreshSession(app, session.refreshToken),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses unknown and expired refresh tokens', async () => {
    await expect(refreshSession(app, `rt_${randomBytes(32).toString('base64url')}`)).rejects.toBeInstanceOf(Unauthorized);
    const { email } = await customer();
    const shortLived = buildUsersApp(pool, tokens, publisher, { ...policy, refreshTokenTtlSeconds: -1 });
    const session = await login(shortLived, { email, password, clientIp: uniqueIp() });
    await expect(refreshSession(app, session.refreshToken)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('logout revokes that session only', async () => {
    const { email } = await customer();
    const phone = await login(app, { email, password, clientIp: uniqueIp() });
    const laptop = await login(app, { email, password, clientIp: uniqueIp() });
    await logout(app, phone.refreshToken);
    await logout(app, phone.refreshToken);
    await expect(refreshSession(app, phone.refreshToken)).rejects.toBeInstanceOf(Unauthorized);
    await expect(refreshSession(app, laptop.refreshToken)).resolves.toMatchObject({ user: { email } });
  });

  it('lets two devices sign in at once while the hash is upgraded under them', async () => {
    const { email, user } = await customer();
    const current = (await app.users.findById(user.id))!.passwordHash;
    await app.users.setPasswordHash(user.id, await hashPassword(password, { N: 2 ** 12, r: 8, p: 1 }), current);
    const both = await Promise.allSettled([1, 2].map(() => login(app, { email, password, clientIp: uniqueIp() })));
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
  });

  it('upgrades a hash made with older parameters on the next sign-in', async () => {
    const { email, user } = await customer();
    const current = (await app.users.findById(user.id))!.passwordHash;
    const old = await hashPassword(password, { N: 2 ** 12, r: 8, p: 1 });
    expect(await app.users.setPasswordHash(user.id, old, 'not-the-current-hash')).toBe(false);
    expect(await app.users.setPasswordHash(user.id, old, current)).toBe(true);
    await login(app, { email, password, clientIp: uniqueIp() });
    const { rows } = await pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [user.id]);
    expect(rows[0]!.password_hash.startsWith(`scrypt$${currentScryptParams.N}$`)).toBe(true);
  });
});

describe('login throttling', () => {
  const wrong = (email: string, clientIp: string) => login(app, { email, password: 'Wrong-Password-1', clientIp });

  it('locks an account after repeated failures, even for the right password, with a Retry-After', async () => {
    const email = uniqueEmail();
    await registerCustomer(app, { email, password, name: 'Locked' }, ctx);
    for (let i = 0; i < policy.perAccount.maxFailures; i++)
      await expect(wrong(email, uniqueIp())).rejects.toBeInstanceOf(Unauthorized);
    const locked = await login(app, { email, password, clientIp: uniqueIp() }).catch((e: Error) => e);
    expect(locked).toBeInstanceOf(TooManyRequests);
    expect((locked as TooManyRequests).retryAfterSeconds).toBeGreaterThan(100);
    expect((locked as TooManyRequests).retryAfterSeconds).toBeLessThanOrEqual(120);
  });

  it('locks unknown emails the same way (no enumeration through the lockout)', async () => {
    const email = uniqueEmail();
    for (let i = 0; i < policy.perAccount.maxFailures; i++)
      await expect(wrong(email, uniqueIp())).rejects.toBeInstanceOf(Unauthorized);
    await expect(wrong(email, uniqueIp())).rejects.toBeInstanceOf(TooManyRequests);
  });

  it('locks a client that fails across many accounts, and not other clients', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < policy.perClient.maxFailures; i++)
      await expect(wrong(uniqueEmail(), ip)).rejects.toBeInstanceOf(Unauthorized);
    await expect(wrong(uniqueEmail(), ip)).rejects.toBeInstanceOf(TooManyRequests);
    await expect(wrong(uniqueEmail(), uniqueIp())).rejects.toBeInstanceOf(Unauthorized);
  });

  it('holds a burst of concurrent guesses to the limit: each attempt is counted before its password is checked', async () => {
    const email = uniqueEmail();
    await registerCustomer(app, { email, password, name: 'Targeted' }, ctx);
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => wrong(email, uniqueIp())));
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).constructor.name : 'signed in'));
    expect(reasons.filter((r) => r === 'Unauthorized')).toHaveLength(policy.perAccount.maxFailures);
    expect(reasons.filter((r) => r === 'TooManyRequests')).toHaveLength(20 - policy.perAccount.maxFailures);
    await expect(login(app, { email, password, clientIp: uniqueIp() })).rejects.toBeInstanceOf(TooManyRequests);
  });

  it('does not charge a client for attempts refused by a locked account (locking a few emails cannot lock an office)', async () => {
    const ip = uniqueIp();
    const victim = uniqueEmail();
    for (let i = 0; i < policy.perAccount.maxFailures; i++)
      await expect(wrong(victim, uniqueIp())).rejects.toBeInstanceOf(Unauthorized);
    for (let i = 0; i < policy.perClient.maxFailures + 2; i++)
      await expect(wrong(victim, ip)).rejects.toBeInstanceOf(TooManyRequests);
    const colleague = uniqueEmail();
    await registerCustomer(app, { email: colleague, password, name: 'Colleague' }, ctx);
    await expect(login(app, { email: colleague, password, clientIp: ip })).resolves.toMatchObject({ user: { email: colleague } });
  });

  it('does not charge a client for right passwords (an office behind one address signs in all day)', async () => {
    const ip = uniqueIp();
    const email = uniqueEmail();
    await registerCustomer(app, { email, password, name: 'Office' }, ctx);
    for (let i = 0; i < policy.perClient.maxFailures + 2; i++)
      await expect(login(app, { email, password, clientIp: ip })).resolves.toMatchObject({ user: { email } });
  });

  it('a successful sign-in resets the account counter', async () => {
    const email = uniqueEmail();
    await registerCustomer(app, { email, password, name: 'Forgetful' }, ctx);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < policy.perAccount.maxFailures - 1; i++)
        await expect(wrong(email, uniqueIp())).rejects.toBeInstanceOf(Unauthorized);
      await expect(login(app, { email, password, clientIp: uniqueIp() })).resolves.toMatchObject({ user: { email } });
    }
  });
});

describe('profiles', () => {
  let ada: Principal;
  let bob: Principal;
  let admin: Principal;
  beforeAll(async () => {
    const make = async (name: string) => ({
      userId: (await registerCustomer(app, { email: uniqueEmail(), password, name }, ctx)).id,
      role: 'customer' as const,
    });
    ada = await make('Ada');
    bob = await make('Bob');
    admin = { userId: (await ensureAdmin(app, { email: uniqueEmail(), password, name: 'Root' }, ctx)).user.id, role: 'admin' };
  });

  it('a customer reads and changes their own profile; the change writes user.updated', async () => {
    expect(await getUser(app, ada, ada.userId)).toMatchObject({ id: ada.userId, name: 'Ada' });
    const updated = await updateUser(app, ada, ada.userId, { name: 'Ada L.', phone: '+1 555 0100' }, ctx);
    expect(updated).toMatchObject({ name: 'Ada L.', phone: '+1 555 0100' });
    const events = (await outboxFor(ada.userId)).filter((r) => r.event_type === 'user.updated');
    expect(events.at(-1)!.envelope.data).toMatchObject({ name: 'Ada L.', phone: '+1 555 0100', changed: ['name', 'phone'] });
  });

  it("another customer's id is not found, for reading and for changing", async () => {
    await expect(getUser(app, bob, ada.userId)).rejects.toBeInstanceOf(NotFound);
    await expect(updateUser(app, bob, ada.userId, { name: 'Mallory' }, ctx)).rejects.toBeInstanceOf(NotFound);
    expect((await getUser(app, ada, ada.userId)).name).not.toBe('Mallory');
  });

  it('an admin reads and changes anyone', async () => {
    await expect(getUser(app, admin, bob.userId)).resolves.toMatchObject({ id: bob.userId });
    await expect(updateUser(app, admin, bob.userId, { name: 'Robert' }, ctx)).resolves.toMatchObject({ name: 'Robert' });
    await expect(getUser(app, admin, 'usr_00000000000000000000000000')).rejects.toBeInstanceOf(NotFound);
  });

  it('an email change is normalized and must stay unique', async () => {
    const adaEmail = (await getUser(app, ada, ada.userId)).email;
    await expect(updateUser(app, bob, bob.userId, { email: adaEmail.toUpperCase() }, ctx)).rejects.toBeInstanceOf(Conflict);
    const fresh = uniqueEmail();
    await expect(updateUser(app, bob, bob.userId, { email: ` ${fresh.toUpperCase()}` }, ctx)).resolves.toMatchObject({
      email: fresh,
    });
  });

  it('an update that changes nothing writes no event', async () => {
    const before = (await outboxFor(ada.userId)).length;
    const current = await getUser(app, ada, ada.userId);
    await updateUser(app, ada, ada.userId, { name: current.name }, ctx);
    expect(await outboxFor(ada.userId)).toHaveLength(before);
  });
});

describe('password change', () => {
  const newPassword = 'Brand-New-Secret-7';
  async function holder() {
    const email = uniqueEmail();
    const user = await registerCustomer(app, { email, password, name: 'Pat' }, ctx);
    const principal: Principal = { userId: user.id, role: 'customer' };
    return { email, user, principal };
  }
  const change = (principal: Principal, id: string, currentPassword: string, next = newPassword, clientIp = uniqueIp()) =>
    changePassword(app, principal, id, { currentPassword, newPassword: next, clientIp }, ctx);

  it('replaces the hash, signs out every session and writes user.password.changed in one go', async () => {
    const { email, user, principal } = await holder();
    const phone = await login(app, { email, password, clientIp: uniqueIp() });
    const laptop = await login(app, { email, password, clientIp: uniqueIp() });
    await change(principal, user.id, password);
    for (const session of [phone, laptop])
      await expect(refreshSession(app, session.refreshToken)).rejects.toBeInstanceOf(Unauthorized);
    await expect(login(app, { email, password, clientIp: uniqueIp() })).rejects.toBeInstanceOf(Unauthorized);
    await expect(login(app, { email, password: newPassword, clientIp: uniqueIp() })).resolves.toMatchObject({
      user: { id: user.id },
    });
    const events = (await outboxFor(user.id)).filter((e) => e.event_type === 'user.password.changed');
    expect(events).toHaveLength(1);
    expect(events[0]!.envelope.data).toMatchObject({ userId: user.id, email, name: 'Pat' });
    expect(JSON.stringify(events[0]!.envelope)).not.toContain(newPassword);
  });

  it('refuses a wrong current password with 403, counts it towards the lockout, and changes nothing', async () => {
    const { email, user, principal } = await holder();
    const clientIp = uniqueIp();
    for (let i = 0; i < policy.perAccount.maxFailures; i++)
      await expect(change(principal, user.id, 'Not-My-Password-1', newPassword, clientIp)).rejects.toBeInstanceOf(Forbidden);
    // Locked now: even the right current password waits, and sign-in for the account is locked too.
    await expect(change(principal, user.id, password)).rejects.toBeInstanceOf(TooManyRequests);
    await expect(login(app, { email, password, clientIp: uniqueIp() })).rejects.toBeInstanceOf(TooManyRequests);
    expect((await outboxFor(user.id)).map((e) => e.event_type)).toEqual(['user.registered']);
  });

  it('applies the password policy to the new password and refuses the same one again', async () => {
    const { user, principal } = await holder();
    const weak = await change(principal, user.id, password, 'short').catch((e: ValidationFailed) => e);
    expect(weak).toBeInstanceOf(ValidationFailed);
    expect(JSON.stringify((weak as ValidationFailed).details)).toContain('newPassword');
    await expect(change(principal, user.id, password, password)).rejects.toBeInstanceOf(ValidationFailed);
  });

  it("is the holder's alone: another customer gets 404, an admin 403", async () => {
    const { user } = await holder();
    const other: Principal = { userId: 'usr_someoneelse000000000000000', role: 'customer' };
    await expect(change(other, user.id, password)).rejects.toBeInstanceOf(NotFound);
    await expect(change({ userId: 'usr_admin', role: 'admin' }, user.id, password)).rejects.toBeInstanceOf(Forbidden);
  });

  it('signs out a sign-in that checked the old password while the change committed', async () => {
    const { email, user, principal } = await holder();
    // The change commits between this sign-in's password check and its session insert.
    const racing: UsersApp = {
      ...app,
      sessions: Object.assign(Object.create(app.sessions), {
        insert: async (record: Parameters<UsersApp['sessions']['insert']>[0], hash: string) => {
          await change(principal, user.id, password);
          return app.sessions.insert(record, hash);
        },
      }),
    };
    await expect(login(racing, { email, password, clientIp: uniqueIp() })).rejects.toBeInstanceOf(Unauthorized);
    const { rows } = await pool.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user.id]);
    expect(rows).toEqual([]);
  });

  it('signs out a refresh that was committing while the password changed', async () => {
    const { email, user, principal } = await holder();
    const session = await login(app, { email, password, clientIp: uniqueIp() });
    // A refresh whose transaction is held just before COMMIT, its successor token written but not yet visible.
    let atCommit!: () => void;
    const reachedCommit = new Promise<void>((resolve) => {
      atCommit = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gatedPool = Object.assign(Object.create(pool), {
      connect: async () => {
        const client = await pool.connect();
        const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
        return Object.assign(Object.create(client), {
          query: async (...args: unknown[]) => {
            if (args[0] === 'COMMIT') {
              atCommit();
              await gate;
            }
            return query(...args);
          },
          release: client.release.bind(client),
        });
      },
    }) as Pool;
    const refreshing = refreshSession({ ...app, sessions: new PgSessionStore(gatedPool) }, session.refreshToken);
    await reachedCommit;
    const changing = change(principal, user.id, password);
    // Either the change finishes at once (it did not wait for the refresh), or its own UPDATE waits on a lock.
    let settled = false;
    const blocked = async () => {
      while (!settled) {
        const { rows } = await pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE 'UPDATE users SET password_hash%'`,
        );
        if (rows.length) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await Promise.race([changing, blocked()]);
    settled = true;
    release();
    const refreshed = await refreshing;
    await changing;
    await expect(refreshSession(app, refreshed.refreshToken)).rejects.toBeInstanceOf(Unauthorized);
    const { rows } = await pool.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [user.id]);
    expect(rows).toEqual([]);
  });

  it('counts wrong current passwords per user too, so changing the email buys no fresh guesses', async () => {
    const { user, principal } = await holder();
    const clientIp = uniqueIp();
    for (let round = 0; round < 2; round++) {
      await updateUser(app, principal, user.id, { email: uniqueEmail() }, ctx);
      for (let i = 0; i < policy.perAccount.maxFailures && round === 0; i++)
        await expect(change(principal, user.id, 'Not-My-Password-1', newPassword, clientIp)).rejects.toBeInstanceOf(Forbidden);
    }
    await expect(change(principal, user.id, 'Not-My-Password-1')).rejects.toBeInstanceOf(TooManyRequests);
  });

  it('lets only one of two concurrent changes win', async () => {
    const { user, principal } = await holder();
    const results = await Promise.allSettled([
      change(principal, user.id, password, 'First-Choice-Pass-1'),
      change(principal, user.id, password, 'Second-Choice-Pass-2'),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toBeInstanceOf(Conflict);
    expect((await outboxFor(user.id)).filter((e) => e.event_type === 'user.password.changed')).toHaveLength(1);
  });
});

describe('housekeeping', () => {
  const familyOf = async (refreshToken: string) =>
    (
      await pool.query<{ family_id: string }>('SELECT family_id FROM refresh_tokens WHERE token_hash = $1', [
        hashRefreshToken(refreshToken),
      ])
    ).rows[0]!.family_id;
  const tokensIn = async (familyId: string) =>
    Number((await pool.query('SELECT count(*) FROM refresh_tokens WHERE family_id = $1', [familyId])).rows[0].count);
  const exists = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rowCount === 1;

  it('deletes sessions dead past the retention, stale login counters and old published events, and keeps the rest', async () => {
    const email = uniqueEmail();
    await registerCustomer(app, { email, password, name: 'Kept' }, ctx);
    const signIn = () => login(app, { email, password, clientIp: uniqueIp() });
    // dead: every token expired 8 days ago (retention 7); recent: expired 2 days ago; live: a retired token long
    // expired, its successor current, so a replay of the retired one must still be caught after the purge.
    const dead = await familyOf((await signIn()).refreshToken);
    const recent = await familyOf((await signIn()).refreshToken);
    const retired = (await signIn()).refreshToken;
    const current = await refreshSession(app, retired);
    const live = await familyOf(retired);
    await pool.query("UPDATE refresh_tokens SET expires_at = now() - interval '8 days' WHERE family_id = $1", [dead]);
    await pool.query("UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE family_id = $1", [recent]);
    await pool.query("UPDATE refresh_tokens SET expires_at = now() - interval '30 days' WHERE token_hash = $1", [
      hashRefreshToken(retired),
    ]);

    const key = (name: string) => `account:${name}-${randomBytes(4).toString('hex')}@example.test`;
    const throttle = {
      stale: key('stale'),
      lockOver: key('lock-over'),
      stillLocked: key('still-locked'),
      counting: key('counting'),
    };
    await pool.query(
      `INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES
         ($1, 2, now() - interval '1 hour', NULL),
         ($2, 0, now() - interval '1 hour', now() - interval '1 minute'),
         ($3, 0, now() - interval '1 hour', now() + interval '1 minute'),
         ($4, 2, now() - interval '1 minute', NULL)`,
      [throttle.stale, throttle.lockOver, throttle.stillLocked, throttle.counting],
    );

    const eventId = (name: string) => `evt_housekeeping_${name}_${randomBytes(4).toString('hex')}`;
    const events = { oldPublished: eventId('old'), oldPending: eventId('pending'), newPublished: eventId('new') };
    await pool.query(
      `INSERT INTO outbox (event_id, event_type, source, envelope, created_at, published_at) VALUES
         ($1, 'user.updated', 'shop.users', '{}', now() - interval '20 days', now() - interval '16 days'),
         ($2, 'user.updated', 'shop.users', '{}', now() - interval '20 days', NULL),
         ($3, 'user.updated', 'shop.users', '{}', now() - interval '20 days', now() - interval '1 day')`,
      [events.oldPublished, events.oldPending, events.newPublished],
    );
    await pool.query(
      `INSERT INTO processed_events (event_id, consumer, processed_at) VALUES
         ($1, 'housekeeping-test', now() - interval '16 days'), ($2, 'housekeeping-test', now() - interval '1 day')`,
      [events.oldPublished, events.newPublished],
    );

    try {
      const purged = await purgeExpired(app);
      expect(purged.refreshTokens).toBeGreaterThanOrEqual(1);
      expect(await tokensIn(dead)).toBe(0);
      expect(await tokensIn(recent)).toBe(1);
      expect(await tokensIn(live)).toBe(2);

      const throttleRow = (k: string) => exists('SELECT 1 FROM login_throttle WHERE key = $1', [k]);
      expect(await throttleRow(throttle.stale)).toBe(false);
      expect(await throttleRow(throttle.lockOver)).toBe(false);
      expect(await throttleRow(throttle.stillLocked)).toBe(true);
      expect(await throttleRow(throttle.counting)).toBe(true);

      const outboxRow = (id: string) => exists('SELECT 1 FROM outbox WHERE event_id = $1', [id]);
      expect(await outboxRow(events.oldPublished)).toBe(false);
      expect(await outboxRow(events.oldPending)).toBe(true);
      expect(await outboxRow(events.newPublished)).toBe(true);
      const processedRow = (id: string) => exists('SELECT 1 FROM processed_events WHERE event_id = $1', [id]);
      expect(await processedRow(events.oldPublished)).toBe(false);
      expect(await processedRow(events.newPublished)).toBe(true);

      // Nothing else was eligible a moment later: the purge is idempotent.
      expect(await purgeExpired(app)).toEqual({ refreshTokens: 0, throttleCounters: 0, outboxRows: 0, processedEvents: 0 });

      // The live family kept its retired token, so its replay still revokes the family.
      await expect(refreshSession(app, retired)).rejects.toThrow(/already used/);
      await expect(refreshSession(app, current.refreshToken)).rejects.toBeInstanceOf(Unauthorized);
    } finally {
      await pool.query('DELETE FROM outbox WHERE event_id = ANY($1)', [Object.values(events)]);
      await pool.query("DELETE FROM processed_events WHERE consumer = 'housekeeping-test'");
      await pool.query('DELETE FROM login_throttle WHERE key = ANY($1)', [Object.values(throttle)]);
    }
  });
});
