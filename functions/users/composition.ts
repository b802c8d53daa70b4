import * as z from 'zod';
import { type AccessTokens, accessTokens } from '../../shared/auth/tokens.ts';
import { cachedOnce } from '../../shared/cache.ts';
import { serviceConfig } from '../../shared/config.ts';
import { type Pool, poolFor } from '../../shared/db/postgres.ts';
import { purgeOutbox, relayAfterCommit } from '../../shared/events/outbox.ts';
import { EventBridgePublisher, type EventPublisher } from '../../shared/events/publisher.ts';
import '../../shared/events/users.ts';
import type { SessionPolicy, UsersDeps } from './domain/ports.ts';
import { PgLoginThrottle, PgSessionStore } from './store/pg-sessions.ts';
import { PgUserStore } from './store/pg-users.ts';

const UsersConfig = z.object({
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 24 * 3600),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(5),
  /** Higher than per account: many people can share one address (offices, carrier NAT). */
  LOGIN_MAX_FAILURES_PER_CLIENT: z.coerce.number().int().positive().default(50),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
  LOGIN_LOCKOUT_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
  /** Days a session is kept after its last refresh token expired (for audit), then deleted. */
  EXPIRED_SESSION_RETENTION_DAYS: z.coerce.number().int().positive().default(7),
  /** Days published events and consumer dedupe records are kept: longer than SQS keeps a message (14 days). */
  EVENT_RETENTION_DAYS: z.coerce.number().int().min(15).default(15),
});

export function sessionPolicy(): SessionPolicy {
  const cfg = serviceConfig(UsersConfig);
  const rule = (maxFailures: number) => ({
    maxFailures,
    windowSeconds: cfg.LOGIN_FAILURE_WINDOW_SECONDS,
    lockoutSeconds: cfg.LOGIN_LOCKOUT_SECONDS,
  });
  return {
    refreshTokenTtlSeconds: cfg.REFRESH_TOKEN_TTL_SECONDS,
    perAccount: rule(cfg.LOGIN_MAX_FAILURES_PER_ACCOUNT),
    perClient: rule(cfg.LOGIN_MAX_FAILURES_PER_CLIENT),
    retention: { expiredSessionsDays: cfg.EXPIRED_SESSION_RETENTION_DAYS, eventsDays: cfg.EVENT_RETENTION_DAYS },
  };
}

export type UsersApp = UsersDeps & { tokens: AccessTokens; pool: Pool };

/** What housekeeping needs: the stores it purges, and no signing key or publisher. */
function retentionStores(pool: Pool, policy: SessionPolicy) {
  return {
    sessions: new PgSessionStore(pool),
    throttle: new PgLoginThrottle(pool),
    outbox: { purgeBefore: (before: Date) => purgeOutbox(pool, before) },
    policy,
    now: () => new Date(),
  };
}

export function buildUsersApp(
  pool: Pool,
  tokens: AccessTokens,
  publisher: EventPublisher,
  policy: SessionPolicy = sessionPolicy(),
): UsersApp {
  return {
    ...retentionStores(pool, policy),
    pool,
    users: new PgUserStore(pool, relayAfterCommit(pool, publisher)),
    tokens,
  };
}

/** The scheduled housekeeping's container: only the pool, so its cold start reads no signing key from Secrets Manager. */
export const housekeepingDeps = cachedOnce(async () => retentionStores(await poolFor('users'), sessionPolicy()));

/** Built once per container: the pool, the signing key and the stores are reused by every invocation. */
export const usersApp = cachedOnce(async (): Promise<UsersApp> => {
  const [pool, tokens] = await Promise.all([poolFor('users'), accessTokens()]);
  return buildUsersApp(pool, tokens, new EventBridgePublisher());
});
