import { productsService } from '../composition.ts';
import { reserveStock, StockRequest } from '../domain/inventory.ts';
import { sagaTask } from './saga-task.ts';

export const handler = sagaTask(StockRequest, async (input, correlationId) =>
  reserveStock((await productsService()).inventory, input, correlationId),
);
