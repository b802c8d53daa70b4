import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createLocalJWKSet, type JWK, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
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

/** Signs and verifies access tokens: ES256 only, issuer and audience checked, exp/iat/sub/jti/role required. */
export class AccessTokens {
  private readonly jwks: ReturnType<typeof createLocalJWKSet>;

  constructor(
    private readonly keys: SigningKeys,
    readonly settings: TokenSettings,
  ) {
    this.jwks = createLocalJWKSet({ keys: keys.publicJwks });
  }

  async issue(principal: Principal, now = Date.now()): Promise<AccessToken> {
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

  /** Any failure (signature, algorithm, expiry, issuer, audience, claims) is the same `Unauthorized`. */
  async verify(token: string, now = Date.now()): Promise<VerifiedAccessToken> {
    try {
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
    } catch {
      throw new Unauthorized('Invalid or expired token');
    }
  }

  publicJwks(): JWK[] {
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
  const keys = await toSigningKeys(await keyStoreFor(cfg).load());
  return new AccessTokens(keys, { issuer: cfg.JWT_ISSUER, audience: cfg.JWT_AUDIENCE, ttlSeconds: cfg.ACCESS_TOKEN_TTL_SECONDS });
});

/** `Bearer <token>` from an Authorization header value, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}
