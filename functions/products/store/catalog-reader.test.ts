import { MongoNetworkTimeoutError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DependencyFailed } from '../../../shared/errors.ts';
import { MongoCatalogReader } from './catalog-reader.ts';

describe('catalog reader failures', () => {
  const timedOut = new MongoNetworkTimeoutError('connection timed out');
  const collection = {
    findOne: () => Promise.reject(timedOut),
    find: () => ({ toArray: () => Promise.reject(timedOut) }),
  };
  const reader = new MongoCatalogReader(collection as never);

  it('a timed-out lookup is a dependency failure (503), not "no such product"', async () => {
    await expect(reader.findById('prd_0000000000aaaaaaaaaaaaaaaa')).rejects.toBeInstanceOf(DependencyFailed);
  });

  it('a timed-out search is a dependency failure (503), not an opaque 500', async () => {
    await expect(reader.search({ tokens: [], sort: 'newest', limit: 21 })).rejects.toBeInstanceOf(DependencyFailed);
  });
});
