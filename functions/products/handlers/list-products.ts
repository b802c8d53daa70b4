import { httpRoute } from '../../../shared/http/handler.ts';
import { searchProducts } from '../domain/catalog.ts';
import { SearchQuery } from '../domain/product.ts';
import { productsReads } from '../read-composition.ts';
import { exampleProduct, ProductPage } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'public',
    schemas: {
      query: SearchQuery,
      response: { status: 200, body: ProductPage, example: { items: [exampleProduct], nextCursor: null } },
      errors: [503],
    },
  },
  async (req) => {
    const reads = await productsReads();
    return { body: await searchProducts(reads, req.query) };
  },
);
