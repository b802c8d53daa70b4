import type { AccessToken } from '../../../shared/auth/tokens.ts';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { Principal, Role } from '../../../shared/http/handler.ts';

export interface User {
  id: string;
  /** Normalized: trimmed and lower-case. */
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
}
export type PublicUser = Omit<User, 'passwordHash'>;

/** Thrown by a user store when another account already has the email. */
export class EmailTaken extends Error {}

export interface UserStore {
  /** Inserts the user and enqueues its events in one transaction. */
  create(user: User, events: EventEnvelope[]): Promise<void>;
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  /** Writes `next` with its events if the row is still at `expectedUpdatedAt`; false when someone changed it first. */
  update(next: User, expectedUpdatedAt: string, events: EventEnvelope[]): Promise<boolean>;
  /** Replaces the hash (a rehash with today's parameters) if it is still `expectedHash`; false otherwise. */
  setPasswordHash(id: string, passwordHash: string, expectedHash: string): Promise<boolean>;
  /**
   * In one transaction: replaces the hash if it is still `expectedHash`, signs out every session of the user and
   * enqueues the events; false when the password changed meanwhile.
   */
  replacePassword(
    id: string,
    passwordHash: string,
    expectedHash: string,
    updatedAt: string,
    events: EventEnvelope[],
  ): Promise<boolean>;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  familyId: string;
  userId: string;
  expiresAt: string;
}

export type RotateOutcome =
  | { outcome: 'rotated'; userId: string; familyId: string }
  /** The token was already rotated or revoked: someone replays it. */
  | { outcome: 'reused'; familyId: string }
  | { outcome: 'expired' | 'unknown' };

export interface SessionStore {
  /**
   * Stores the token if the user's password hash is still `passwordHash`; false when a password change committed since
   * the password was checked (that change signed every session out, so this one must not slip in after it).
   */
  insert(record: RefreshTokenRecord, passwordHash: string): Promise<boolean>;
  /** Atomically retires the presented token and stores its successor in the same family. */
  rotate(presentedHash: string, successor: Omit<RefreshTokenRecord, 'familyId' | 'userId'>, now: Date): Promise<RotateOutcome>;
  /** Revokes every token of the family the given token belongs to; false when the token is unknown. */
  revokeFamilyOf(tokenHash: string): Promise<boolean>;
  revokeFamily(familyId: string): Promise<void>;
  /**
   * Deletes whole families whose newest token expired before `before` (a live family keeps its retired tokens, so a
   * replay is still caught); returns the tokens deleted.
   */
  purgeFamiliesExpiredBefore(before: Date): Promise<number>;
}

export interface ThrottleRule {
  maxFailures: number;
  windowSeconds: number;
  lockoutSeconds: number;
}

export interface LoginThrottle {
  /**
   * Counts an attempt before its password is checked, atomically, so concurrent guesses cannot all pass one check:
   * 0 when it may go ahead; otherwise the seconds until the key unlocks. The attempt past `maxFailures` within the
   * window locks the key for `lockoutSeconds`.
   */
  admit(key: string, rule: ThrottleRule): Promise<number>;
  /** The attempt succeeded: the key's count starts over (an account after its holder signed in). */
  clear(key: string): Promise<void>;
  /** The attempt succeeded: it does not count (a client whose sign-in was right). */
  forgive(key: string): Promise<void>;
  /** Deletes counters that can no longer lock anyone: window started before `windowStartedBefore`, no lock after `now`. */
  purgeStale(windowStartedBefore: Date, now: Date): Promise<number>;
}

/** Retention of the service's outbox (published rows) and consumer dedupe records. */
export interface OutboxRetention {
  purgeBefore(before: Date): Promise<{ outbox: number; processed: number }>;
}

export interface TokenIssuer {
  issue(principal: Principal): Promise<AccessToken>;
}

export interface SessionPolicy {
  refreshTokenTtlSeconds: number;
  perAccount: ThrottleRule;
  perClient: ThrottleRule;
  /** How long expired sessions and published events are kept before housekeeping deletes them. */
  retention: { expiredSessionsDays: number; eventsDays: number };
}

export interface UsersDeps {
  users: UserStore;
  sessions: SessionStore;
  throttle: LoginThrottle;
  outbox: OutboxRetention;
  tokens: TokenIssuer;
  policy: SessionPolicy;
  now(): Date;
}

/** Who asked and under which correlation id, for the events a change produces. */
export interface RequestContext {
  correlationId: string;
}

export function toPublicUser(user: User): PublicUser {
  const { passwordHash: _hidden, ...visible } = user;
  return visible;
}
