import { logger } from '../../../shared/observability.ts';
import { housekeepingDeps } from '../composition.ts';
import { purgeExpired } from '../domain/housekeeping.ts';

/** Scheduled: deletes dead sessions, stale login counters and old published events (retention in the users config). */
export const handler = async () => {
  const purged = await purgeExpired(await housekeepingDeps());
  if (Object.values(purged).some((n) => n > 0)) logger.info('users housekeeping', { ...purged });
  return purged;
};
