import { describe, expect, it } from 'vitest';
import { cachedBy, cachedOnce } from './cache.ts';

describe('cachedBy', () => {
  it('builds once per key and reuses the result', async () => {
    let builds = 0;
    const cache = cachedBy(async (key: string) => `${key}-${++builds}`);
    expect(await Promise.all([cache.get('a'), cache.get('a'), cache.get('b')])).toEqual(['a-1', 'a-1', 'b-2']);
  });

  it('forgets a failed build so the next call tries again', async () => {
    let attempt = 0;
    const get = cachedOnce(async () => {
      attempt++;
      if (attempt === 1) throw new Error('database not up yet');
      return 'connected';
    });
    await expect(get()).rejects.toThrow('database not up yet');
    expect(await get()).toBe('connected');
    expect(await get()).toBe('connected');
    expect(attempt).toBe(2);
  });

  it('drains what it built, failures as undefined', async () => {
    const cache = cachedBy(async (key: number) => {
      if (key < 0) throw new Error('no');
      return key * 2;
    });
    await cache.get(1);
    await cache.get(-1).catch(() => {});
    expect(await Promise.all(cache.drain())).toEqual([2]);
    expect(cache.drain()).toEqual([]);
  });
});
