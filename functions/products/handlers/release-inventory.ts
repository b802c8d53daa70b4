import * as z from 'zod';
import { sagaTask } from '../../../shared/saga-task.ts';
import { productsService } from '../composition.ts';
import { releaseStock } from '../domain/inventory.ts';

const ReleaseRequest = z.object({ orderId: z.string().min(1).max(100) });

export const handler = sagaTask(ReleaseRequest, async (input, correlationId) =>
  releaseStock((await productsService()).inventory, input.orderId, correlationId),
);
