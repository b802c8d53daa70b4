import { NotFound } from '../../../shared/errors.ts';
import { httpRoute } from '../../../shared/http/handler.ts';
import { productsService } from '../composition.ts';
import { getInventory } from '../domain/inventory.ts';
import { isProductId } from '../domain/product.ts';
import { exampleInventory, InventoryBody, NoQuery, ProductPath } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'public',
    schemas: {
      path: ProductPath,
      query: NoQuery,
      response: { status: 200, body: InventoryBody, example: exampleInventory },
      errors: [404, 503],
    },
  },
  async (req) => {
    if (!isProductId(req.path.id)) throw new NotFound(`No product ${req.path.id}`);
    const service = await productsService();
    return { body: await getInventory(service.inventory, req.path.id) };
  },
);
