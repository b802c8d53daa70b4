import { httpRoute } from '../../../shared/http/handler.ts';
import { productsService } from '../composition.ts';
import { updateProduct } from '../domain/catalog.ts';
import { ProductPatch } from '../domain/product.ts';
import { exampleProduct, ProductBody, ProductPath } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'admin',
    schemas: {
      body: ProductPatch,
      path: ProductPath,
      response: { status: 200, body: ProductBody, example: exampleProduct },
      errors: [404, 409, 503],
    },
  },
  async (req) => {
    const service = await productsService();
    return { body: await updateProduct(service.catalog, req.path.id, req.body, req.correlationId) };
  },
);
