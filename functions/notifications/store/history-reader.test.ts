import { MongoNetworkTimeoutError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DependencyFailed } from '../../../shared/errors.ts';
import { MongoHistoryReader } from './history-reader.ts';

describe('history reader failures', () => {
  it('a timed-out listing is a dependency failure (503), not an opaque 500', async () => {
    const timedOut = new MongoNetworkTimeoutError('connection timed out');
    const reader = new MongoHistoryReader({ find: () => ({ toArray: () => Promise.reject(timedOut) }) } as never);
    await expect(reader.list({ limit: 21 })).rejects.toBeInstanceOf(DependencyFailed);
  });
});
