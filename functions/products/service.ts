import { defineService } from '../../shared/service.ts';

export default defineService({
  name: 'products',
  description: 'Catalog (DocumentDB), stock and reservations (DynamoDB), search',
  stores: {
    mongo: true,
    tables: [
      {
        name: 'stock',
        partitionKey: 'pk',
        sortKey: 'sk',
        ttlAttribute: 'purgeAt',
        // `holds`: held reservations by expiry, for the sweep (store/stock-dynamo.ts queries it by that name).
        indexes: [{ name: 'holds', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
      },
    ],
  },
  routes: [
    {
      method: 'GET',
      path: '/products',
      handler: 'handlers/list-products',
      access: 'public',
      summary: 'Search and filter the catalog',
    },
    { method: 'POST', path: '/products', handler: 'handlers/create-product', access: 'admin', summary: 'Add a product' },
    {
      method: 'GET',
      path: '/products/{id}',
      handler: 'handlers/get-product',
      access: 'public',
      summary: 'One product (deleted ones too, flagged)',
    },
    { method: 'PATCH', path: '/products/{id}', handler: 'handlers/update-product', access: 'admin', summary: 'Change a product' },
    {
      method: 'DELETE',
      path: '/products/{id}',
      handler: 'handlers/delete-product',
      access: 'admin',
      summary: 'Withdraw a product (soft delete)',
    },
    {
      method: 'GET',
      path: '/products/{id}/inventory',
      handler: 'handlers/get-inventory',
      access: 'public',
      summary: 'Stock of a product',
    },
    {
      method: 'PUT',
      path: '/products/{id}/inventory',
      handler: 'handlers/put-inventory',
      access: 'admin',
      summary: 'Set or adjust stock, with a reason',
    },
  ],
  sagaTasks: [
    { state: 'ReserveInventory', handler: 'handlers/reserve-inventory' },
    { state: 'ReleaseInventory', handler: 'handlers/release-inventory' },
    { state: 'CommitInventory', handler: 'handlers/commit-inventory' },
  ],
  schedules: [
    { name: 'outbox-relay', everyMinutes: 1, handler: 'handlers/relay-outbox' },
    { name: 'reservation-sweep', everyMinutes: 1, handler: 'handlers/sweep-reservations' },
  ],
  publishes: [
    'product.created',
    'product.updated',
    'product.deleted',
    'product.stock.reserved',
    'product.stock.released',
    'product.stock.low',
    'product.stock.depleted',
  ],
});
