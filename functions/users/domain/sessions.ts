import { createHash, randomBytes } from 'node:crypto';
import type { AccessToken, VerifiedAccessToken } from '../../../shared/auth/tokens.ts';
import { Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed } from '../../../shared/errors.ts';
import { createEvent } from '../../../shared/events/envelope.ts';
import type { UserPasswordChanged } from '../../../shared/events/users.ts';
import type { Principal } from '../../../shared/http/handler.ts';
import { newId } from '../../../shared/ids.ts';
import { normalizeEmail } from './accounts.ts';
import { assertPasswordPolicy, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { type PublicUser, type RequestContext, toPublicUser, type User, type UsersDeps } from './ports.ts';

export interface Session {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
  user: PublicUser;
}

/** Opaque refresh tokens: 256 random bits; only their SHA-256 is stored, so a database leak yields no usable token. */
export function newRefreshToken(): string {
  return `rt_${randomBytes(32).toString('base64url')}`;
}
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// Verifying against this when the email is unknown makes both failures cost one scrypt: timing tells nothing.
let dummyHash: Promise<string> | undefined;
function timingDummy(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

const badCredentials = () => new Unauthorized('Email or password is wrong');
export const accountKey = (email: string) => `account:${email}`;
export const userKey = (userId: string) => `user:${userId}`;
export const clientKey = (ip: string) => `client:${ip}`;

/**
 * Every password check is counted before it runs, per account (`accounts`: the email, and the user id where known, so
 * changing the email resets nothing) and per client, so a burst of concurrent guesses is held to the limit. A refused
 * check gives back what it was counted against; a right password does too: the account starts over, the client is
 * not charged.
 */
async function admitPasswordCheck(deps: UsersDeps, accounts: string[], clientIp: string) {
  const client = clientKey(clientIp);
  const keys = [...accounts.map((key) => ({ key, rule: deps.policy.perAccount })), { key: client, rule: deps.policy.perClient }];
  const waits = await Promise.all(keys.map(({ key, rule }) => deps.throttle.admit(key, rule)));
  const wait = Math.max(...waits);
  if (wait > 0) {
    await Promise.all(keys.filter((_, i) => waits[i] === 0).map(({ key }) => deps.throttle.forgive(key)));
    throw new TooManyRequests('Too many failed password attempts; try again later', wait);
  }
  return {
    succeeded: async () => {
      for (const key of accounts) await deps.throttle.clear(key);
      await deps.throttle.forgive(client);
    },
  };
}

async function startSession(deps: UsersDeps, user: User, refreshToken: string, expiresAt: Date): Promise<Session> {
  const access: AccessToken = await deps.tokens.issue({ userId: user.id, role: user.role });
  return {
    accessToken: access.token,
    tokenType: 'Bearer',
    expiresIn: access.expiresIn,
    refreshToken,
    refreshExpiresAt: expiresAt.toISOString(),
    user: toPublicUser(user),
  };
}

export interface LoginInput {
  email: string;
  password: string;
  clientIp: string;
}

/**
 * Wrong email and wrong password are one failure: same error, same cost. Failures count per account and per client
 * (in the database, so every container sees them); a locked key answers 429 until its lockout ends.
 */
export async function login(deps: UsersDeps, input: LoginInput): Promise<Session> {
  const email = normalizeEmail(input.email);
  const attempt = await admitPasswordCheck(deps, [accountKey(email)], input.clientIp);
  const user = await deps.users.findByEmail(email);
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await timingDummy()));
  if (!user || !valid) throw badCredentials();
  await attempt.succeeded();
  let passwordHash = user.passwordHash;
  if (needsRehash(passwordHash)) {
    const rehashed = await hashPassword(input.password);
    if (await deps.users.setPasswordHash(user.id, rehashed, passwordHash)) passwordHash = rehashed;
  }
  const refreshToken = newRefreshToken();
  const familyId = newId('rtf');
  const expiresAt = new Date(deps.now().getTime() + deps.policy.refreshTokenTtlSeconds * 1000);
  const record = { tokenHash: hashRefreshToken(refreshToken), familyId, userId: user.id, expiresAt: expiresAt.toISOString() };
  let stored = await deps.sessions.insert(record, passwordHash);
  if (!stored) {
    // The hash moved since the check: another sign-in rehashed the same password (it still verifies: go on), or the
    // password was changed (it does not: that change signed everybody out, this sign-in included).
    const current = (await deps.users.findById(user.id))?.passwordHash;
    if (current && current !== passwordHash && (await verifyPassword(input.password, current)))
      stored = await deps.sessions.insert(record, current);
  }
  if (!stored) throw badCredentials();
  return startSession(deps, user, refreshToken, expiresAt);
}

/**
 * Every refresh retires the presented token and hands out its successor. Presenting a retired token again means it
 * leaked (or was replayed): the whole family, including the legitimate holder's current token, is revoked.
 */
export async function refreshSession(deps: UsersDeps, refreshToken: string): Promise<Session> {
  const next = newRefreshToken();
  const expiresAt = new Date(deps.now().getTime() + deps.policy.refreshTokenTtlSeconds * 1000);
  const result = await deps.sessions.rotate(
    hashRefreshToken(refreshToken),
    { tokenHash: hashRefreshToken(next), expiresAt: expiresAt.toISOString() },
    deps.now(),
  );
  if (result.outcome === 'reused') {
    await deps.sessions.revokeFamily(result.familyId);
    throw new Unauthorized('Refresh token was already used; sign in again');
  }
  if (result.outcome !== 'rotated') throw new Unauthorized('Invalid or expired refresh token');
  const user = await deps.users.findById(result.userId);
  if (!user) {
    await deps.sessions.revokeFamily(result.familyId);
    throw new Unauthorized('Invalid or expired refresh token');
  }
  return startSession(deps, user, next, expiresAt);
}

/** Ends the session the refresh token belongs to; unknown tokens are fine (logout is idempotent). */
export async function logout(deps: Pick<UsersDeps, 'sessions'>, refreshToken: string): Promise<void> {
  await deps.sessions.revokeFamilyOf(hashRefreshToken(refreshToken));
}

export type Introspection = { valid: true; userId: string; role: string; expiresAt: string } | { valid: false };

/** For callers that hold a token but no authorizer in front of them: is it valid, and whose is it? */
export async function introspect(
  tokens: { verify(token: string): Promise<VerifiedAccessToken> },
  token: string,
): Promise<Introspection> {
  try {
    const verified = await tokens.verify(token);
    return { valid: true, userId: verified.userId, role: verified.role, expiresAt: verified.expiresAt.toISOString() };
  } catch {
    return { valid: false };
  }
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
  clientIp: string;
}

/**
 * Only the holder changes a password, and only by proving the current one: a stolen access token alone cannot take the
 * account over. Wrong guesses count towards the same lockout as sign-in. Every session is signed out in the same
 * transaction (access tokens already issued live out their 15 minutes), and `user.password.changed` tells the holder.
 */
export async function changePassword(
  deps: UsersDeps,
  principal: Principal,
  id: string,
  change: PasswordChange,
  ctx: RequestContext,
): Promise<void> {
  if (principal.userId !== id) {
    if (principal.role === 'admin') throw new Forbidden('Only the account holder can change its password');
    throw new NotFound(`No user ${id}`);
  }
  const user = await deps.users.findById(id);
  if (!user) throw new NotFound(`No user ${id}`);
  assertPasswordPolicy(change.newPassword, user.email, 'newPassword');
  const attempt = await admitPasswordCheck(deps, [accountKey(user.email), userKey(user.id)], change.clientIp);
  if (!(await verifyPassword(change.currentPassword, user.passwordHash)))
    throw new Forbidden('The current password is wrong', { field: 'currentPassword' });
  // Only once the current password is proven: to a caller without it, the same password twice is just a wrong guess.
  if (change.newPassword.normalize('NFKC') === change.currentPassword.normalize('NFKC')) {
    await attempt.succeeded();
    throw new ValidationFailed('The new password must differ from the current one', [
      { path: 'newPassword', message: 'must differ from the current password', in: 'body' },
    ]);
  }
  const changedAt = deps.now().toISOString();
  const data: UserPasswordChanged = { userId: id, email: user.email, name: user.name, phone: user.phone, changedAt };
  const replaced = await deps.users.replacePassword(id, await hashPassword(change.newPassword), user.passwordHash, changedAt, [
    createEvent('users', 'user.password.changed', data, ctx.correlationId),
  ]);
  if (!replaced) throw new Conflict('The password was changed by another request; sign in again');
  await attempt.succeeded();
}
