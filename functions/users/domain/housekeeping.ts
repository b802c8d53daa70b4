import type { UsersDeps } from './ports.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface HousekeepingResult {
  refreshTokens: number;
  throttleCounters: number;
  outboxRows: number;
  processedEvents: number;
}

/**
 * Keeps the users database from growing without end: sessions dead for longer than the retention, login counters that
 * can no longer lock anyone, published outbox rows and old dedupe records. Safe to run at any time, and concurrently.
 */
export async function purgeExpired(
  deps: Pick<UsersDeps, 'sessions' | 'throttle' | 'outbox' | 'policy' | 'now'>,
): Promise<HousekeepingResult> {
  const now = deps.now();
  const { retention, perAccount, perClient } = deps.policy;
  const longestWindowMs = Math.max(perAccount.windowSeconds, perClient.windowSeconds) * 1000;
  const refreshTokens = await deps.sessions.purgeFamiliesExpiredBefore(
    new Date(now.getTime() - retention.expiredSessionsDays * DAY_MS),
  );
  const throttleCounters = await deps.throttle.purgeStale(new Date(now.getTime() - longestWindowMs), now);
  const events = await deps.outbox.purgeBefore(new Date(now.getTime() - retention.eventsDays * DAY_MS));
  return { refreshTokens, throttleCounters, outboxRows: events.outbox, processedEvents: events.processed };
}
