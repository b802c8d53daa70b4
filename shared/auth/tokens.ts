import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createLocalJWKSet, errors, type JWK, jwtVerify, SignJWT } from 'jose';
import * as z from 'zod';
import { cachedOnce } from '../cache.ts';
import { serviceConfig } from '../config.ts';
import { Unauthorized } from '../errors.ts';
import type { Principal } from '../http/handler.ts';
import { FileKeyStore, type KeyStore, SecretsManagerKeyStore, SIGNING_ALG, type SigningKeys, toSigningKeys } from './keys.ts';

export const AuthConfig = z.object({
  JWT_ISSUER: z.string().url().default('https://shop.local/users'),
  JWT_AUDIENCE: z.string().min(1).default('shop-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  /** AWS: the secret holding the signing key. Empty offline, where the key lives under DATA_DIR. */
  JWT_KEY_SECRET_ARN: z.string().optional(),
  /** How often a container re-reads the key store, so a rotated key is picked up without a redeploy. */
  SIGNING_KEY_REFRESH_SECONDS: z.coerce.number().int().min(1).default(300),
  DATA_DIR: z.string().optional(),
});
export type AuthConfig = z.infer<typeof AuthConfig>;

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AccessToken {
  token: string;
  jti: string;
  expiresAt: Date;
  expiresIn: number;
}

export interface VerifiedAccessToken extends Principal {
  jti: string;
  expiresAt: Date;
}

const RoleClaim = z.enum(['customer', 'admin']);

/** Where a long-lived `AccessTokens` re-reads its keys after a rotation, and how often it may. */
export interface KeyRefresh {
  load(): Promise<SigningKeys>;
  /** The signer re-reads this often, so it starts signing with a rotated key. */
  everyMs: number;
  /** A verifier that meets an unknown `kid` re-reads at most this often (made-up kids must not hammer the store). */
  unknownKidEveryMs?: number;
  clock?: () => number;
}

/** Signs and verifies access tokens: ES256 only, issuer and audience checked, exp/iat/sub/jti/role required. */
export class AccessTokens {
  private jwks: ReturnType<typeof createLocalJWKSet>;
  private loadedAt: number;
  private reloading?: Promise<void>;

  constructor(
    private keys: SigningKeys,
    readonly settings: TokenSettings,
    private readonly refresh?: KeyRefresh,
  ) {
    this.jwks = createLocalJWKSet({ keys: keys.publicJwks });
    this.loadedAt = this.clock();
  }

  private clock(): number {
    return this.refresh?.clock?.() ?? Date.now();
  }

  /** Re-reads the key store if the last read is older than `maxAgeMs`; one read at a time. */
  private async reloadIfOlderThan(maxAgeMs: number): Promise<boolean> {
    if (!this.refresh || this.clock() - this.loadedAt < maxAgeMs) return false;
    this.reloading ??= this.refresh
      .load()
      .then((keys) => {
        this.keys = keys;
        this.jwks = createLocalJWKSet({ keys: keys.publicJwks });
      })
      // A store that cannot be read keeps the keys we have; the next interval tries again.
      .catch(() => {})
      .finally(() => {
        this.loadedAt = this.clock();
        this.reloading = undefined;
      });
    await this.reloading;
    return true;
  }

  async issue(principal: Principal, now = Date.now()): Promise<AccessToken> {
    if (this.refresh) await this.reloadIfOlderThan(this.refresh.everyMs);
    const jti = randomUUID();
    const iat = Math.floor(now / 1000);
    const exp = iat + this.settings.ttlSeconds;
    const token = await new SignJWT({ role: principal.role })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(principal.userId)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.keys.privateKey);
    return { token, jti, expiresAt: new Date(exp * 1000), expiresIn: this.settings.ttlSeconds };
  }

  /**
   * Any failure (signature, algorithm, expiry, issuer, audience, claims) is the same `Unauthorized`. The keys are
   * re-read every refresh interval here too, so a container that only verifies drops a retired or leaked key. A `kid`
   * this container does not know may be a key rotated in since it loaded: the store is re-read (at most every
   * `unknownKidEveryMs`, 10 s by default, or not at all if another request just did) and the token tried once more.
   */
  async verify(token: string, now = Date.now()): Promise<VerifiedAccessToken> {
    if (this.refresh) await this.reloadIfOlderThan(this.refresh.everyMs);
    const keysTried = this.jwks;
    try {
      return await this.verifyWithCurrentKeys(token, now);
    } catch (error) {
      const unknownKid = error instanceof errors.JWKSNoMatchingKey;
      if (unknownKid && (this.jwks !== keysTried || (await this.reloadIfOlderThan(this.refresh?.unknownKidEveryMs ?? 10_000))))
        return this.verifyWithCurrentKeys(token, now).catch(() => {
          throw new Unauthorized('Invalid or expired token');
        });
      throw new Unauthorized('Invalid or expired token');
    }
  }

  private async verifyWithCurrentKeys(token: string, now: number): Promise<VerifiedAccessToken> {
    const { payload } = await jwtVerify(token, this.jwks, {
      algorithms: [SIGNING_ALG],
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      clockTolerance: 5,
      currentDate: new Date(now),
    });
    const role = RoleClaim.parse(payload.role);
    return { userId: payload.sub!, role, jti: payload.jti!, expiresAt: new Date(payload.exp! * 1000) };
  }

  publicJwks(): JWK[] {
    return this.keys.publicJwks;
  }

  /** The JWKS as the key store has it now (re-read once per refresh interval), for the JWKS endpoint. */
  async currentJwks(): Promise<JWK[]> {
    if (this.refresh) await this.reloadIfOlderThan(this.refresh.everyMs);
    return this.keys.publicJwks;
  }
}

export function keyStoreFor(cfg: AuthConfig): KeyStore {
  if (cfg.JWT_KEY_SECRET_ARN) return new SecretsManagerKeyStore(cfg.JWT_KEY_SECRET_ARN);
  if (cfg.DATA_DIR) return new FileKeyStore(join(cfg.DATA_DIR, 'keys'));
  throw new Error('Invalid configuration: set JWT_KEY_SECRET_ARN (AWS) or DATA_DIR (offline) for the token signing key');
}

/** The container's token service: configuration read and the key loaded once, then reused by every invocation. */
export const accessTokens = cachedOnce(async (): Promise<AccessTokens> => {
  const cfg = serviceConfig(AuthConfig);
  const store = keyStoreFor(cfg);
  return new AccessTokens(
    await toSigningKeys(await store.load()),
    { issuer: cfg.JWT_ISSUER, audience: cfg.JWT_AUDIENCE, ttlSeconds: cfg.ACCESS_TOKEN_TTL_SECONDS },
    { load: async () => toSigningKeys(await store.load()), everyMs: cfg.SIGNING_KEY_REFRESH_SECONDS * 1000 },
  );
});

/** `Bearer <token>` from an Authorization header value, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}
