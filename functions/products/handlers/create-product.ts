import { httpRoute } from '../../../shared/http/handler.ts';
import { countMetric } from '../../../shared/observability.ts';
import { productsService } from '../composition.ts';
import { createProduct } from '../domain/catalog.ts';
import { NewProduct } from '../domain/product.ts';

export const handler = httpRoute({ access: 'admin', schemas: { body: NewProduct } }, async (req) => {
  const service = await productsService();
  const product = await createProduct(service.catalog, req.body, req.correlationId);
  countMetric('products', 'ProductCreated');
  return { status: 201, body: product, headers: { Location: `/products/${product.id}` } };
});
