import { httpRoute } from '../../../shared/http/handler.ts';
import { productsService } from '../composition.ts';
import { searchProducts } from '../domain/catalog.ts';
import { SearchQuery } from '../domain/product.ts';

export const handler = httpRoute({ access: 'public', schemas: { query: SearchQuery } }, async (req) => {
  const service = await productsService();
  return { body: await searchProducts(service.catalog, req.query) };
});
