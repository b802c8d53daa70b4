import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader, SignJWT } from 'jose';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { services } from '../../functions/catalog.ts';
import { repoRoot } from '../../infra/offline/engines/index.ts';
import { FileKeyStore, generateSigningKey, toSigningKeys } from '../../shared/auth/keys.ts';
import { AccessTokens } from '../../shared/auth/tokens.ts';
import { adminToken, api, eventsOnBus, login, registerCustomer, type SignedIn } from '../support/api.ts';
import { apiClient } from '../support/client.ts';

const call = api();
/** The typed client (docs/api/openapi-types.ts); `call` stays for what the spec rightly does not allow (extra fields). */
const client = apiClient();
const issuer = 'https://shop.local/users';
const audience = 'shop-api';
type UserBody = { user: { id: string; email: string; name: string; role: string; phone: string | null } };

let ada: SignedIn & { email: string; password: string };
let bob: SignedIn & { email: string; password: string };
let admin: string;
/** The runtime's own signing key, read from its data dir: forged tokens differ from real ones in one claim only. */
let realKey: Awaited<ReturnType<typeof toSigningKeys>>;

beforeAll(async () => {
  [ada, bob, admin] = await Promise.all([
    registerCustomer(call, { name: 'Ada' }),
    registerCustomer(call, { name: 'Bob' }),
    adminToken(call),
  ]);
  realKey = await toSigningKeys(await new FileKeyStore(join(inject('runtimeEnv').DATA_DIR!, 'keys')).load());
});

describe('registration and sign-in', () => {
  it('registers a customer (201) and refuses the same email again in another case (409)', async () => {
    const email = `Case-${Date.now()}@Example.test`;
    const first = await client.POST('/register', { body: { email, password: 'Correct-Horse-42', name: 'Casey' } });
    expect(first.response.status).toBe(201);
    expect(first.data!.user).toMatchObject({ email: email.toLowerCase(), role: 'customer' });
    expect(first.response.headers.get('location')).toBe(`/users/${first.data!.user.id}`);
    const again = await client.POST('/register', {
      body: { email: email.toUpperCase(), password: 'Correct-Horse-42', name: 'Casey' },
    });
    expect(again.response.status).toBe(409);
    expect(again.error?.error.code).toBe('CONFLICT');
  });

  it('refuses self-registration as an admin (400, not silently a customer)', async () => {
    const res = await call('POST', '/register', {
      body: { email: `mallory-${Date.now()}@example.test`, password: 'Correct-Horse-42', name: 'M', role: 'admin' },
    });
    expect(res.status).toBe(400);
  });

  it('refuses a weak password with the reasons', async () => {
    const res = await client.POST('/register', {
      body: { email: `weak-${Date.now()}@example.test`, password: 'password', name: 'W' },
    });
    expect(res.response.status).toBe(400);
    expect(res.error?.error.details).not.toHaveLength(0);
  });

  it('signs in and answers wrong password and unknown email with the same 401', async () => {
    expect(ada.accessToken).toMatch(/^ey/);
    const wrong = await client.POST('/login', { body: { email: ada.email, password: 'Nope-Nope-123' } });
    const unknown = await client.POST('/login', {
      body: { email: `nobody-${Date.now()}@example.test`, password: 'Nope-Nope-123' },
    });
    expect([wrong.response.status, unknown.response.status]).toEqual([401, 401]);
    expect(unknown.error?.error.message).toBe(wrong.error?.error.message);
  });

  it('rotates refresh tokens, detects reuse, and logout ends a session', async () => {
    const session = await login(call, ada.email, ada.password);
    const rotated = await client.POST('/token/refresh', { body: { refreshToken: session.refreshToken } });
    expect(rotated.response.status).toBe(200);
    expect(rotated.data!.refreshToken).not.toBe(session.refreshToken);
    const replay = await client.POST('/token/refresh', { body: { refreshToken: session.refreshToken } });
    expect(replay.response.status).toBe(401);
    const afterReplay = await client.POST('/token/refresh', { body: { refreshToken: rotated.data!.refreshToken } });
    expect(afterReplay.response.status).toBe(401);

    const other = await login(call, ada.email, ada.password);
    expect((await client.POST('/logout', { body: { refreshToken: other.refreshToken } })).response.status).toBe(204);
    expect((await client.POST('/token/refresh', { body: { refreshToken: other.refreshToken } })).response.status).toBe(401);
  });

  it('publishes the verification keys without an API key', async () => {
    const res = await apiClient({ noApiKey: true }).GET('/.well-known/jwks.json');
    expect(res.response.status).toBe(200);
    expect(res.data!.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256', kid: realKey.kid });
    expect(res.data!.keys[0]).not.toHaveProperty('d');
  });

  it('introspects tokens', async () => {
    const valid = await client.POST('/validate-token', { body: { token: ada.accessToken } });
    expect(valid.data).toMatchObject({ valid: true, userId: ada.user.id, role: 'customer' });
    const invalid = await client.POST('/validate-token', { body: { token: `${ada.accessToken}x` } });
    expect(invalid.data).toEqual({ valid: false });
  });
});

describe('profiles', () => {
  it('a customer reads and changes their own profile', async () => {
    const asAda = apiClient({ token: ada.accessToken });
    const path = { id: ada.user.id };
    const read = await asAda.GET('/users/{id}', { params: { path } });
    expect(read.response.status).toBe(200);
    expect(read.data!.user).toMatchObject({ id: ada.user.id, email: ada.email });
    expect(read.data!.user).not.toHaveProperty('passwordHash');
    const changed = await asAda.PATCH('/users/{id}', { params: { path }, body: { name: 'Ada Lovelace' } });
    expect(changed.response.status).toBe(200);
    expect(changed.data!.user.name).toBe('Ada Lovelace');
  });

  it("another customer's profile is 404 for reading and changing", async () => {
    const asBob = apiClient({ token: bob.accessToken });
    const path = { id: ada.user.id };
    expect((await asBob.GET('/users/{id}', { params: { path } })).response.status).toBe(404);
    expect((await asBob.PATCH('/users/{id}', { params: { path }, body: { name: 'Mallory' } })).response.status).toBe(404);
  });

  it('an admin reads and changes any profile', async () => {
    const asAdmin = apiClient({ token: admin });
    const path = { id: bob.user.id };
    expect((await asAdmin.GET('/users/{id}', { params: { path } })).data!.user).toMatchObject({ id: bob.user.id });
    const changed = await asAdmin.PATCH('/users/{id}', { params: { path }, body: { phone: '+1 555 0199' } });
    expect(changed.response.status).toBe(200);
    expect(changed.data!.user.phone).toBe('+1 555 0199');
  });

  it('rejects fields a client must not set (mass assignment) with 400 and changes nothing', async () => {
    for (const body of [
      { role: 'admin' },
      { id: 'usr_x' },
      { passwordHash: 'scrypt$1$1$1$a$b' },
      { createdAt: '2020-01-01T00:00:00Z' },
      { name: 'X', role: 'admin' },
    ]) {
      const res = await call('PATCH', `/users/${bob.user.id}`, { token: bob.accessToken, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const read = await call<UserBody>('GET', `/users/${bob.user.id}`, { token: bob.accessToken });
    expect(read.body.user).toMatchObject({ role: 'customer', id: bob.user.id });
    expect(read.body.user.name).not.toBe('X');
    // The role in a fresh token is still customer.
    expect(
      (await call('POST', '/validate-token', { body: { token: (await login(call, bob.email, bob.password)).accessToken } })).body,
    ).toMatchObject({
      role: 'customer',
    });
  });
});

describe('password change', () => {
  it('changes your own password with the current one, signs out every session, and tells the bus', async () => {
    const pat = await registerCustomer(call, { name: 'Pat' });
    const path = `/users/${pat.user.id}/password`;
    const wrong = await call('POST', path, {
      token: pat.accessToken,
      body: { currentPassword: 'Not-Mine-Either-9', newPassword: 'Brand-New-Secret-7' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const weak = await call('POST', path, { token: pat.accessToken, body: { currentPassword: pat.password, newPassword: 'x' } });
    expect(weak.status).toBe(400);
    const extra = await call('POST', path, {
      token: pat.accessToken,
      body: { currentPassword: pat.password, newPassword: 'Brand-New-Secret-7', role: 'admin' },
    });
    expect(extra.status).toBe(400);
    expect(
      (await call('POST', path, { body: { currentPassword: pat.password, newPassword: 'Brand-New-Secret-7' } })).status,
    ).toBe(401);
    const bobs = await call('POST', path, {
      token: bob.accessToken,
      body: { currentPassword: pat.password, newPassword: 'Brand-New-Secret-7' },
    });
    expect(bobs.status).toBe(404);

    const ok = await call('POST', path, {
      token: pat.accessToken,
      body: { currentPassword: pat.password, newPassword: 'Brand-New-Secret-7' },
    });
    expect(ok.status).toBe(204);
    expect((await call('POST', '/token/refresh', { body: { refreshToken: pat.refreshToken } })).status).toBe(401);
    expect((await call('POST', '/login', { body: { email: pat.email, password: pat.password } })).status).toBe(401);
    await expect(login(call, pat.email, 'Brand-New-Secret-7')).resolves.toMatchObject({ user: { id: pat.user.id } });
    const events = await eventsOnBus(call, 'user.password.changed', (data) => data.userId === pat.user.id);
    expect(events).toHaveLength(1);
  });
});

describe('the authorizer', () => {
  const claims = () => ({ role: 'admin' });
  async function forge(sign: (jwt: SignJWT) => Promise<string>) {
    return sign(
      new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', kid: realKey.kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(bob.user.id)
        .setJti(crypto.randomUUID())
        .setIssuedAt(),
    );
  }
  const profile = (token: string) => call('GET', `/users/${bob.user.id}`, { token });

  it('accepts the real thing (control for the cases below)', async () => {
    const token = await forge((jwt) => jwt.setExpirationTime('5m').sign(realKey.privateKey));
    expect((await profile(token)).status).toBe(200);
  });

  it('401 without a token or with a malformed header', async () => {
    expect((await call('GET', `/users/${bob.user.id}`)).status).toBe(401);
    expect((await call('GET', `/users/${bob.user.id}`, { headers: { authorization: bob.accessToken } })).status).toBe(401);
  });

  it('401 for a tampered token', async () => {
    const [h, p, s] = bob.accessToken.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url')}.${s}`;
    expect((await profile(tampered)).status).toBe(401);
  });

  it('401 for an unsigned token (alg none)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: issuer, aud: audience, sub: bob.user.id, role: 'admin', jti: 'x', iat: now, exp: now + 300 })}.`;
    expect((await profile(none)).status).toBe(401);
  });

  it('401 for an expired token signed with the real key', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await forge((jwt) =>
      jwt
        .setIssuedAt(past)
        .setExpirationTime(past + 900)
        .sign(realKey.privateKey),
    );
    expect((await profile(expired)).status).toBe(401);
  });

  it('401 for a token issued for another audience with the real key', async () => {
    const other = new AccessTokens(realKey, { issuer, audience: 'another-api', ttlSeconds: 900 });
    expect((await profile((await other.issue({ userId: bob.user.id, role: 'customer' })).token)).status).toBe(401);
  });

  it('401 for a token signed by another key', async () => {
    const stranger = new AccessTokens(await toSigningKeys(await generateSigningKey()), { issuer, audience, ttlSeconds: 900 });
    expect((await profile((await stranger.issue({ userId: bob.user.id, role: 'admin' })).token)).status).toBe(401);
  });

  it('403 for a customer on an admin route, which the admin passes', async () => {
    const adminRoute = services.flatMap((s) => s.routes).find((r) => r.access === 'admin');
    expect(adminRoute, 'the catalog has an admin route').toBeDefined();
    const path = adminRoute!.path.replace(/\{[^}]+\}/g, 'prd_00000000000000000000000000');
    const asCustomer = await call(adminRoute!.method, path, { token: bob.accessToken, body: {} });
    expect(asCustomer.status).toBe(403);
    const asAdmin = await call(adminRoute!.method, path, { token: admin, body: {} });
    expect([401, 403]).not.toContain(asAdmin.status);
  });
});

describe('login throttling', () => {
  it('answers 429 with Retry-After once an account has failed too often, even for the right password', async () => {
    const victim = await registerCustomer(call, { name: 'Victim' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await call('POST', '/login', { body: { email: victim.email, password: 'Wrong-Guess-99' } })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const right = await call('POST', '/login', { body: { email: victim.email, password: victim.password } });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('signing key rotation', () => {
  it('rotates under load: tokens signed before keep working, new ones carry the new key, the JWKS lists both', async () => {
    const pat = await registerCustomer(call, { name: 'Rotating Pat' });
    const before = pat.accessToken;
    const oldKid = decodeProtectedHeader(before).kid;
    const rotation = await promisify(execFile)(
      join(repoRoot, 'node_modules', '.bin', 'tsx'),
      [join(repoRoot, 'scripts', 'rotate-signing-key.ts')],
      { cwd: repoRoot, env: { ...process.env, DATA_DIR: inject('runtimeEnv').DATA_DIR! } },
    );
    const newKid = /-> (\S+)/.exec(rotation.stdout)?.[1];
    expect(newKid).toBeDefined();
    expect(newKid).not.toBe(oldKid);

    expect((await call('GET', `/users/${pat.user.id}`, { token: before })).status).toBe(200);
    // The runtime re-reads the key at most 2 s old here (5 min by default); once 2 s have passed since the rotation
    // was saved, the next signing must re-read, so the next token carries the new kid.
    await new Promise((r) => setTimeout(r, 2_500));
    const after = (await login(call, pat.email, pat.password)).accessToken;
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    expect((await call('GET', `/users/${pat.user.id}`, { token: after })).status).toBe(200);
    expect((await call('GET', `/users/${pat.user.id}`, { token: before })).status).toBe(200);
    const jwks = await call<{ keys: Array<{ kid: string; d?: string }> }>('GET', '/.well-known/jwks.json');
    expect(jwks.body.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    expect(jwks.body.keys.some((k) => k.d)).toBe(false);
  });
});
