import mongoose, { type Connection } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { DependencyFailed } from '../../../shared/errors.ts';
import { MongoCatalogStore } from './catalog-mongo.ts';

describe('catalog store failures', () => {
  it('a timed-out lookup is a dependency failure, not "no such product"', async () => {
    const timedOut = new mongoose.mongo.MongoNetworkTimeoutError('connection timed out');
    const connection = { models: { Product: { collection: { findOne: () => Promise.reject(timedOut) } } } };
    const store = new MongoCatalogStore(connection as unknown as Connection);
    await expect(store.findById('prd_0000000000aaaaaaaaaaaaaaaa')).rejects.toBeInstanceOf(DependencyFailed);
  });
});
