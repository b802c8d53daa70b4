import { NotFound } from '../../../shared/errors.ts';
import { httpRoute } from '../../../shared/http/handler.ts';
import { productsService } from '../composition.ts';
import { changeInventory, InventoryChange } from '../domain/inventory.ts';
import { isProductId } from '../domain/product.ts';
import { exampleInventory, InventoryBody, ProductPath } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'admin',
    schemas: {
      body: InventoryChange.meta({
        examples: [
          { set: 40, reason: 'delivery 2026-01-15', lowStockThreshold: 5 },
          { adjust: -2, reason: 'damaged in store' },
        ],
      }),
      path: ProductPath,
      response: {
        status: 200,
        body: InventoryBody,
        example: exampleInventory,
        links: {
          ReadStock: { operation: 'GET /products/{id}/inventory', parameters: { 'path.id': '$response.body#/productId' } },
          ReadProduct: { operation: 'GET /products/{id}', parameters: { 'path.id': '$response.body#/productId' } },
        },
      },
      errors: [404, 409, 503],
    },
  },
  async (req) => {
    if (!isProductId(req.path.id)) throw new NotFound(`No product ${req.path.id}`);
    const service = await productsService();
    return { body: await changeInventory(service.inventory, req.path.id, req.body, req.principal.userId) };
  },
);
