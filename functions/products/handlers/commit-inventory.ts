import * as z from 'zod';
import { productsService } from '../composition.ts';
import { commitStock } from '../domain/inventory.ts';
import { sagaTask } from './saga-task.ts';

const CommitRequest = z.object({ orderId: z.string().min(1).max(100) });

export const handler = sagaTask(CommitRequest, async (input, correlationId) =>
  commitStock((await productsService()).inventory, input.orderId, correlationId),
);
