import { httpRoute } from '../../../shared/http/handler.ts';
import { productsService } from '../composition.ts';
import { getProduct } from '../domain/catalog.ts';
import { NoQuery, ProductPath } from './schemas.ts';

/** Deleted products still resolve (orders refer to them) with `deleted: true`; listings never show them. */
export const handler = httpRoute({ access: 'public', schemas: { path: ProductPath, query: NoQuery } }, async (req) => {
  const service = await productsService();
  return { body: await getProduct(service.catalog, req.path.id) };
});
