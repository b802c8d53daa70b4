import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** The one signing algorithm: pinned on every verify, so a token cannot pick its own. */
export const SIGNING_ALG = 'ES256';

/** A public key that signed before the last rotation: it keeps verifying until the tokens it signed have expired. */
export interface RetiredKey {
  publicJwk: JWK;
  retiredAt: string;
  /** After this it verifies nothing, even before the next rotation removes it. */
  verifiesUntil?: string;
}

const stillVerifies = (key: RetiredKey, at: Date) => !key.verifiesUntil || Date.parse(key.verifiesUntil) > at.getTime();

/** What a key store persists: the key pair as JWKs, identified by the public key's thumbprint, and retired public keys. */
export interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: string;
  previous?: RetiredKey[];
}

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  /** Public keys that verify tokens (the JWKS): the current key now, older ones too once keys rotate. */
  publicJwks: JWK[];
}

export interface KeyStore {
  /** The current signing key; the first caller ever creates it. */
  load(): Promise<StoredSigningKey>;
  /** Replaces the stored key, atomically for readers (key rotation). */
  save(next: StoredSigningKey): Promise<void>;
}

export async function generateSigningKey(now = new Date()): Promise<StoredSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG },
    publicJwk: { ...pub, kid, alg: SIGNING_ALG, use: 'sig' },
    createdAt: now.toISOString(),
  };
}

/**
 * Key rotation: a new signing key; the old public key stays in the JWKS, and so do keys retired within `keepSeconds`
 * (longer than an access token lives plus how long a container may keep signing with a cached key). `keepSeconds: 0`
 * after a compromise drops every older key at once, which signs everybody out.
 */
export async function rotateSigningKey(
  current: StoredSigningKey,
  keepSeconds: number,
  now = new Date(),
): Promise<StoredSigningKey> {
  const next = await generateSigningKey(now);
  if (keepSeconds <= 0) return next;
  const retired: RetiredKey = {
    publicJwk: current.publicJwk,
    retiredAt: now.toISOString(),
    verifiesUntil: new Date(now.getTime() + keepSeconds * 1000).toISOString(),
  };
  // A key retired before keys carried `verifiesUntil` is kept for `keepSeconds` after its retirement, as then.
  const dated = (current.previous ?? []).map((k) => ({
    ...k,
    verifiesUntil: k.verifiesUntil ?? new Date(Date.parse(k.retiredAt) + keepSeconds * 1000).toISOString(),
  }));
  return { ...next, previous: [retired, ...dated.filter((k) => stillVerifies(k, now))] };
}

/** The key to sign with and the JWKS: the current key and the retired keys still within their `verifiesUntil`. */
export async function toSigningKeys(stored: StoredSigningKey, now = new Date()): Promise<SigningKeys> {
  const privateKey = (await importJWK(stored.privateJwk, SIGNING_ALG)) as CryptoKey;
  const retired = (stored.previous ?? []).filter((k) => stillVerifies(k, now)).map((k) => k.publicJwk);
  return { kid: stored.kid, privateKey, publicJwks: [stored.publicJwk, ...retired] };
}

function parseStored(text: string, where: string): StoredSigningKey {
  const value = JSON.parse(text) as Partial<StoredSigningKey>;
  if (!value.kid || !value.privateJwk?.d || !value.publicJwk?.x) throw new Error(`${where} holds no usable signing key`);
  const previous = value.previous ?? [];
  if (!Array.isArray(previous) || previous.some((k) => !k?.publicJwk?.kid || !k.publicJwk.x || 'd' in k.publicJwk))
    throw new Error(`${where} has malformed retired keys`);
  return value as StoredSigningKey;
}

/**
 * A secret CDK created holds a generated placeholder string, not JSON: that counts as not yet written. JSON that is
 * not a usable key is an error, never overwritten: replacing it would sign everybody out and hide the damage.
 */
function storedOrPlaceholder(text: string, where: string): StoredSigningKey | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  return parseStored(text, where);
}

/** Secrets Manager's idempotency token for the first key: every container racing to write it uses the same one. */
export const FIRST_KEY_REQUEST_TOKEN = 'shop-jwt-signing-key-first-version-0001';

/**
 * Offline and tests: the key pair lives in `<dir>/signing-key.json`, created once. Several processes
 * may start at once (test workers, the runtime and a script), so the file appears atomically
 * (written aside, then hard-linked into place) and a loser of the race reads the winner's key.
 */
export class FileKeyStore implements KeyStore {
  constructor(private readonly dir: string) {}

  async load(): Promise<StoredSigningKey> {
    const file = join(this.dir, 'signing-key.json');
    try {
      return parseStored(await readFile(file, 'utf8'), file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const aside = `${file}.${randomUUID()}.tmp`;
    await writeFile(aside, JSON.stringify(await generateSigningKey(), null, 2), { mode: 0o600 });
    try {
      await link(aside, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(aside, { force: true });
    }
    return parseStored(await readFile(file, 'utf8'), file);
  }

  async save(next: StoredSigningKey): Promise<void> {
    const file = join(this.dir, 'signing-key.json');
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const aside = `${file}.${randomUUID()}.tmp`;
    await writeFile(aside, JSON.stringify(next, null, 2), { mode: 0o600 });
    await rename(aside, file);
  }
}

/** The slice of the Secrets Manager client the key store uses (the real client fits it). */
export interface SecretsClient {
  getSecret(secretId: string): Promise<string | undefined>;
  /**
   * Writes a new version. With a request token, a second write under the same token but another value is refused
   * (Secrets Manager's ResourceExistsException): false, and the first value stands.
   */
  putSecret(secretId: string, value: string, requestToken?: string): Promise<boolean>;
}

export async function awsSecretsClient(): Promise<SecretsClient> {
  const { SecretsManagerClient, GetSecretValueCommand, PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ maxAttempts: 3 });
  return {
    async getSecret(secretId) {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        return out.SecretString || undefined;
      } catch (error) {
        // A secret created empty (by CDK) has no current version yet.
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async putSecret(secretId, value, requestToken) {
      try {
        await client.send(
          new PutSecretValueCommand({ SecretId: secretId, SecretString: value, ClientRequestToken: requestToken }),
        );
        return true;
      } catch (error) {
        if (requestToken && (error as Error).name === 'ResourceExistsException') return false;
        throw error;
      }
    },
  };
}

/**
 * AWS: the key pair is the JSON value of a Secrets Manager secret. An empty secret (or CDK's placeholder) gets a
 * generated key on first use, written under one fixed request token: of containers racing on the first use, the
 * first write wins, the others are refused and read the winner's key back, so all converge on one key.
 */
export class SecretsManagerKeyStore implements KeyStore {
  constructor(
    private readonly secretArn: string,
    private readonly client: () => Promise<SecretsClient> = awsSecretsClient,
  ) {}

  async load(): Promise<StoredSigningKey> {
    const client = await this.client();
    const existing = await client.getSecret(this.secretArn);
    const stored = existing ? storedOrPlaceholder(existing, this.secretArn) : undefined;
    if (stored) return stored;
    await client.putSecret(this.secretArn, JSON.stringify(await generateSigningKey()), FIRST_KEY_REQUEST_TOKEN);
    const written = await client.getSecret(this.secretArn);
    if (!written) throw new Error(`${this.secretArn} is still empty after writing a key`);
    return parseStored(written, this.secretArn);
  }

  async save(next: StoredSigningKey): Promise<void> {
    await (await this.client()).putSecret(this.secretArn, JSON.stringify(next));
  }
}
