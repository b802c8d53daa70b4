import { logger } from '../../../shared/observability.ts';
import { productsService } from '../composition.ts';
import { releaseExpiredHolds } from '../domain/inventory.ts';

/** Scheduled: gives back the units of holds whose order never confirmed or cancelled. */
export const handler = async () => {
  const released = await releaseExpiredHolds((await productsService()).inventory);
  if (released) logger.info('expired holds released', { released });
  return { released };
};
