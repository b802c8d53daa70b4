import { httpRoute } from '../../../shared/http/handler.ts';
import { productsService } from '../composition.ts';
import { deleteProduct } from '../domain/catalog.ts';
import { ProductPath } from './schemas.ts';

export const handler = httpRoute(
  { access: 'admin', schemas: { path: ProductPath, response: { status: 204 }, errors: [404, 409, 503] } },
  async (req) => {
    const service = await productsService();
    await deleteProduct(service.catalog, req.path.id, req.correlationId);
    return { status: 204 };
  },
);
