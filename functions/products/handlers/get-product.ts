import { httpRoute } from '../../../shared/http/handler.ts';
import { getProduct } from '../domain/catalog.ts';
import { productsReads } from '../read-composition.ts';
import { exampleProduct, NoQuery, ProductBody, ProductPath } from './schemas.ts';

/** Deleted products still resolve (orders refer to them) with `deleted: true`; listings never show them. */
export const handler = httpRoute(
  {
    access: 'public',
    schemas: {
      path: ProductPath,
      query: NoQuery,
      response: {
        status: 200,
        body: ProductBody,
        example: exampleProduct,
        links: {
          ChangeStock: { operation: 'PUT /products/{id}/inventory', parameters: { 'path.id': '$response.body#/id' } },
          ReadStock: { operation: 'GET /products/{id}/inventory', parameters: { 'path.id': '$response.body#/id' } },
        },
      },
      errors: [404, 503],
    },
  },
  async (req) => {
    const reads = await productsReads();
    return { body: await getProduct(reads, req.path.id) };
  },
);
