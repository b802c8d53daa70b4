import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unauthorized } from '../errors.ts';
import {
  FileKeyStore,
  generateSigningKey,
  rotateSigningKey,
  type SecretsClient,
  SecretsManagerKeyStore,
  type StoredSigningKey,
  toSigningKeys,
} from './keys.ts';
import { AccessTokens, bearerToken } from './tokens.ts';

const settings = { issuer: 'https://shop.test/users', audience: 'shop-api', ttlSeconds: 900 };
const customer = { userId: 'usr_0000000000aaaaaaaaaaaaaaaa', role: 'customer' as const };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let tokens: AccessTokens;
beforeAll(async () => {
  tokens = new AccessTokens(await toSigningKeys(await generateSigningKey()), settings);
});

/** A token with every claim right but the payload and header given, signed by `key`: the shape of an attack. */
function forge(payload: Record<string, unknown>, header: { alg: string; kid?: string }, key: CryptoKey | Uint8Array) {
  return new SignJWT(payload)
    .setProtectedHeader(header)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(customer.userId)
    .setJti('x')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key);
}

describe('AccessTokens', () => {
  it('issues an ES256 token carrying exp, iat, iss, aud, sub, role and jti that verifies', async () => {
    const issued = await tokens.issue(customer);
    const [header, payload] = issued.token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: settings.issuer,
      aud: settings.audience,
      sub: customer.userId,
      role: 'customer',
      jti: issued.jti,
    });
    expect(payload.exp - payload.iat).toBe(900);
    await expect(tokens.verify(issued.token)).resolves.toMatchObject({ ...customer, jti: issued.jti });
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const [h, p, s] = (await tokens.issue(customer)).token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${b64({ ...payload, role: 'admin' })}.${s}`;
    await expect(tokens.verify(forged)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('rejects an unsigned token (alg none)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: settings.issuer, aud: settings.audience, sub: customer.userId, role: 'admin', jti: 'x', iat: now, exp: now + 600 })}.`;
    await expect(tokens.verify(unsigned)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('rejects an HMAC token (algorithm confusion)', async () => {
    const hs = await forge(
      { role: 'admin' },
      { alg: 'HS256' },
      new TextEncoder().encode('a-guessable-shared-secret-of-32-bytes!'),
    );
    await expect(tokens.verify(hs)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('rejects an expired token and accepts it within its lifetime', async () => {
    const issuedAt = Date.now() - 910_000;
    const { token } = await tokens.issue(customer, issuedAt);
    await expect(tokens.verify(token)).rejects.toBeInstanceOf(Unauthorized);
    await expect(tokens.verify(token, issuedAt + 60_000)).resolves.toMatchObject(customer);
  });

  it('rejects a token for another audience or from another issuer', async () => {
    const keys = (tokens as unknown as { keys: Parameters<typeof toSigningKeys>[0] }).keys;
    const sameKey = (overrides: Partial<typeof settings>) => new AccessTokens(keys as never, { ...settings, ...overrides });
    await expect(tokens.verify((await sameKey({ audience: 'other-api' }).issue(customer)).token)).rejects.toBeInstanceOf(
      Unauthorized,
    );
    await expect(tokens.verify((await sameKey({ issuer: 'https://evil.test' }).issue(customer)).token)).rejects.toBeInstanceOf(
      Unauthorized,
    );
    await expect(tokens.verify((await sameKey({}).issue(customer)).token)).resolves.toMatchObject(customer);
  });

  it('rejects a token signed by another key', async () => {
    const other = new AccessTokens(await toSigningKeys(await generateSigningKey()), settings);
    await expect(tokens.verify((await other.issue(customer)).token)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('rejects a token with an unknown role', async () => {
    const keys = (tokens as unknown as { keys: { privateKey: CryptoKey; kid: string } }).keys;
    const odd = await forge({ role: 'root' }, { alg: 'ES256', kid: keys.kid }, keys.privateKey);
    await expect(tokens.verify(odd)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('publishes only public key material', () => {
    const [jwk] = tokens.publicJwks();
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
  });
});

describe('bearerToken', () => {
  it('takes the token from a Bearer header and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('abc.def.ghi')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

const secretArn = 'arn:aws:secretsmanager:us-east-1:1:secret:jwt';

/** Secrets Manager's PutSecretValue semantics that matter here: a request token names a version once. */
function fakeSecretsManager(initial?: string) {
  let current = initial;
  let puts = 0;
  const versions = new Map<string, string>();
  const client: SecretsClient = {
    getSecret: async () => current,
    putSecret: async (_id, value, token) => {
      await new Promise((r) => setImmediate(r));
      if (token && versions.has(token)) return versions.get(token) === value;
      if (token) versions.set(token, value);
      puts++;
      current = value;
      return true;
    },
  };
  return {
    client,
    value: () => current,
    get puts() {
      return puts;
    },
  };
}

describe('key stores', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shop-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('FileKeyStore creates one key even when several loaders race, and keeps it', async () => {
    const store = new FileKeyStore(join(dir, 'keys'));
    const loaded = await Promise.all([store.load(), store.load(), new FileKeyStore(join(dir, 'keys')).load()]);
    expect(new Set(loaded.map((k) => k.kid)).size).toBe(1);
    const onDisk = JSON.parse(await readFile(join(dir, 'keys', 'signing-key.json'), 'utf8'));
    expect(onDisk.kid).toBe(loaded[0]!.kid);
    expect((await store.load()).kid).toBe(loaded[0]!.kid);
  });

  it('SecretsManagerKeyStore fills an empty secret once and then reads it', async () => {
    const secrets = fakeSecretsManager();
    const store = new SecretsManagerKeyStore(secretArn, async () => secrets.client);
    const first = await store.load();
    const second = await store.load();
    expect(second.kid).toBe(first.kid);
    expect(secrets.puts).toBe(1);
  });

  it('SecretsManagerKeyStore: containers racing on the first use converge on one key', async () => {
    const secrets = fakeSecretsManager();
    const stores = [1, 2, 3].map(() => new SecretsManagerKeyStore(secretArn, async () => secrets.client));
    const kids = (await Promise.all(stores.map((s) => s.load()))).map((k) => k.kid);
    expect(new Set(kids).size).toBe(1);
    expect(JSON.parse(secrets.value()!).kid).toBe(kids[0]);
  });

  it('SecretsManagerKeyStore replaces the placeholder string CDK puts in a new secret, never a damaged key', async () => {
    const placeholder = fakeSecretsManager('x9$Generated-Placeholder-Password');
    const key = await new SecretsManagerKeyStore(secretArn, async () => placeholder.client).load();
    expect(JSON.parse(placeholder.value()!).kid).toBe(key.kid);

    const damaged = fakeSecretsManager(JSON.stringify({ kid: 'k1', publicJwk: { kty: 'EC' } }));
    await expect(new SecretsManagerKeyStore(secretArn, async () => damaged.client).load()).rejects.toThrow(/no usable/);
    expect(damaged.puts).toBe(0);
  });
});

describe('signing key rotation', () => {
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  const HOUR = 3600;

  it('signs with the new key, keeps the old one verifying, and drops keys retired longer ago than kept', async () => {
    // One injected clock for building, signing and verifying: the test means the same on any day.
    const t0 = new Date('2026-11-24T10:00:00Z');
    const at = (hours: number) => new Date(t0.getTime() + hours * HOUR * 1000);
    const first = await generateSigningKey(t0);
    const beforeRotation = await new AccessTokens(await toSigningKeys(first, t0), settings).issue(customer, t0.getTime());
    const second = await rotateSigningKey(first, HOUR, t0);
    const rotated = new AccessTokens(await toSigningKeys(second, t0), settings);
    const afterRotation = await rotated.issue(customer, t0.getTime());
    expect(kidOf(afterRotation.token)).toBe(second.kid);
    await expect(rotated.verify(beforeRotation.token, t0.getTime())).resolves.toMatchObject(customer);
    expect(rotated.publicJwks().map((k) => k.kid)).toEqual([second.kid, first.kid]);
    expect(rotated.publicJwks().some((k) => 'd' in k)).toBe(false);

    // A retired key verifies until verifiesUntil (t0 + 1 h) and not after, by the keys' own clock.
    const justBefore = new AccessTokens(await toSigningKeys(second, new Date(at(1).getTime() - 1000)), settings);
    expect(justBefore.publicJwks().map((k) => k.kid)).toEqual([second.kid, first.kid]);
    const justAfter = new AccessTokens(await toSigningKeys(second, new Date(at(1).getTime() + 1000)), settings);
    expect(justAfter.publicJwks().map((k) => k.kid)).toEqual([second.kid]);

    // Two hours later the first key (retired at t0, kept one hour) is gone; the second, retired now, stays.
    const third = await rotateSigningKey(second, HOUR, at(2));
    const later = new AccessTokens(await toSigningKeys(third, at(2)), settings);
    expect(later.publicJwks().map((k) => k.kid)).toEqual([third.kid, second.kid]);
    await expect(later.verify(beforeRotation.token, t0.getTime())).rejects.toBeInstanceOf(Unauthorized);
    await expect(later.verify(afterRotation.token, t0.getTime())).resolves.toMatchObject(customer);

    // Kept means kept for that long, not until the next rotation: two hours on, with no rotation, it is gone.
    const keysLater = await toSigningKeys(second, at(2));
    expect(keysLater.publicJwks.map((k) => k.kid)).toEqual([second.kid]);

    // A key retired before retired keys carried verifiesUntil goes at the first rotation past its keep time.
    const legacy = { ...third, previous: [{ publicJwk: first.publicJwk, retiredAt: t0.toISOString() }] };
    const afterLegacy = await rotateSigningKey(legacy, HOUR, at(3));
    expect(afterLegacy.previous?.map((k) => k.publicJwk.kid)).toEqual([third.kid]);

    // After a leak: nothing older is kept, so every token signed before is refused.
    const emergency = new AccessTokens(await toSigningKeys(await rotateSigningKey(third, 0, at(2)), at(2)), settings);
    expect(emergency.publicJwks()).toHaveLength(1);
    await expect(emergency.verify(afterRotation.token, t0.getTime())).rejects.toBeInstanceOf(Unauthorized);
  });

  it('running containers pick up a rotated key: the signer after its refresh interval, a verifier on the unknown kid', async () => {
    let stored: StoredSigningKey = await generateSigningKey();
    let loads = 0;
    let now = 0;
    const refresh = {
      load: async () => {
        loads++;
        return toSigningKeys(stored);
      },
      everyMs: 300_000,
      unknownKidEveryMs: 10_000,
      clock: () => now,
    };
    const signer = new AccessTokens(await toSigningKeys(stored), settings, refresh);
    // The verifier's periodic re-read is an hour away: only the unknown kid can make it re-read below.
    const verifier = new AccessTokens(await toSigningKeys(stored), settings, { ...refresh, everyMs: 3_600_000 });
    const oldKid = stored.kid;
    stored = await rotateSigningKey(stored, HOUR);

    now = 60_000;
    expect(kidOf((await signer.issue(customer)).token)).toBe(oldKid);
    expect(loads).toBe(0);
    now = 300_000;
    const fresh = await signer.issue(customer);
    expect(kidOf(fresh.token)).toBe(stored.kid);
    expect(loads).toBe(1);

    // The verifier loaded at 0 and has never seen the new kid: it re-reads once and accepts the token.
    await expect(verifier.verify(fresh.token)).resolves.toMatchObject(customer);
    expect(loads).toBe(2);

    // Made-up kids cannot hammer the store: one re-read per 10 s, however many arrive.
    const strangerKey = (await toSigningKeys(await generateSigningKey())).privateKey;
    now = 320_000;
    for (let i = 0; i < 5; i++) {
      const bogus = await forge({ role: 'customer' }, { alg: 'ES256', kid: `made-up-${i}` }, strangerKey);
      await expect(verifier.verify(bogus)).rejects.toBeInstanceOf(Unauthorized);
    }
    expect(loads).toBe(3);
  });

  it('a container that only verifies drops a leaked key within one refresh interval', async () => {
    let stored: StoredSigningKey = await generateSigningKey();
    let now = 0;
    const verifier = new AccessTokens(await toSigningKeys(stored), settings, {
      load: async () => toSigningKeys(stored),
      everyMs: 300_000,
      clock: () => now,
    });
    const leaked = await new AccessTokens(await toSigningKeys(stored), settings).issue(customer);
    await expect(verifier.verify(leaked.token)).resolves.toMatchObject(customer);
    stored = await rotateSigningKey(stored, 0);
    now = 299_000;
    await expect(verifier.verify(leaked.token)).resolves.toMatchObject(customer);
    now = 300_000;
    await expect(verifier.verify(leaked.token)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('key stores save a rotated key and read it back with its retired keys; a retired private key is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shop-rotate-'));
    try {
      const store = new FileKeyStore(dir);
      const next = await rotateSigningKey(await store.load(), HOUR);
      await store.save(next);
      expect(await store.load()).toEqual(next);
      await writeFile(
        join(dir, 'signing-key.json'),
        JSON.stringify({ ...next, previous: [{ publicJwk: next.privateJwk, retiredAt: new Date().toISOString() }] }),
      );
      await expect(store.load()).rejects.toThrow(/malformed retired keys/);

      const fake = fakeSecretsManager();
      const secrets = new SecretsManagerKeyStore(secretArn, async () => fake.client);
      const rotated = await rotateSigningKey(await secrets.load(), HOUR);
      await secrets.save(rotated);
      expect(await secrets.load()).toEqual(rotated);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
