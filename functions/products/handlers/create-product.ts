import { httpRoute } from '../../../shared/http/handler.ts';
import { countMetric } from '../../../shared/observability.ts';
import { productsService } from '../composition.ts';
import { createProduct } from '../domain/catalog.ts';
import { NewProduct } from '../domain/product.ts';
import { exampleProduct, ProductBody } from './schemas.ts';

export const handler = httpRoute(
  {
    access: 'admin',
    schemas: {
      body: NewProduct,
      response: {
        status: 201,
        body: ProductBody,
        example: exampleProduct,
        location: true,
        links: {
          ReadProduct: { operation: 'GET /products/{id}', parameters: { 'path.id': '$response.body#/id' } },
          SetStock: { operation: 'PUT /products/{id}/inventory', parameters: { 'path.id': '$response.body#/id' } },
          ChangeProduct: { operation: 'PATCH /products/{id}', parameters: { 'path.id': '$response.body#/id' } },
          WithdrawProduct: { operation: 'DELETE /products/{id}', parameters: { 'path.id': '$response.body#/id' } },
        },
      },
      errors: [503],
    },
  },
  async (req) => {
    const service = await productsService();
    const product = await createProduct(service.catalog, req.body, req.correlationId);
    countMetric('products', 'ProductCreated');
    return { status: 201, body: product, headers: { Location: `/products/${product.id}` } };
  },
);
