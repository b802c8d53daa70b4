import { sagaTask } from '../../../shared/saga-task.ts';
import { productsService } from '../composition.ts';
import { reserveStock, StockRequest } from '../domain/inventory.ts';

export const handler = sagaTask(StockRequest, async (input, correlationId) =>
  reserveStock((await productsService()).inventory, input, correlationId),
);
