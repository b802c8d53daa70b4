import * as z from 'zod';
import { sagaTask } from '../../../shared/saga-task.ts';
import { productsService } from '../composition.ts';
import { commitStock } from '../domain/inventory.ts';

const CommitRequest = z.object({ orderId: z.string().min(1).max(100) });

export const handler = sagaTask(CommitRequest, async (input, correlationId) =>
  commitStock((await productsService()).inventory, input.orderId, correlationId),
);
