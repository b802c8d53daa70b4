// The floor for GET /products/{id} in bench/load.ts: a bare node:http server that answers the same request with one
// direct query to the same FerretDB (the mongodb driver, no middleware, no validation, no gateway).
import { createServer } from 'node:http';
import mongoose from 'mongoose';

const [uri, portArg] = process.argv.slice(2);
const connection = await mongoose.createConnection(uri!, { dbName: 'shop_products', maxPoolSize: 10 }).asPromise();
const products = connection.db!.collection('products');
const server = createServer(async (req, res) => {
  const id = decodeURIComponent(/^\/products\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '');
  const doc = await products.findOne({ _id: id as never }, { projection: { outbox: 0, searchTokens: 0 } });
  res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(doc ? { product: doc } : { error: 'not found' }));
});
server.listen(Number(portArg ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
});
