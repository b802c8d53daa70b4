/**
 * A per-container cache of things built once and reused by every invocation (pools, connections, composed
 * services, loaded modules). A build that fails is forgotten, so the next call tries again instead of
 * replaying the failure for the life of the container.
 */
export function cachedBy<K, V>(build: (key: K) => Promise<V>) {
  const entries = new Map<K, Promise<V>>();
  return {
    get(key: K): Promise<V> {
      let entry = entries.get(key);
      if (!entry) {
        entry = build(key);
        entries.set(key, entry);
        entry.catch(() => {
          if (entries.get(key) === entry) entries.delete(key);
        });
      }
      return entry;
    },
    /** Empties the cache and hands back what had been built (for closing). */
    drain(): Promise<V | undefined>[] {
      const all = [...entries.values()].map((p) => p.catch(() => undefined));
      entries.clear();
      return all;
    },
  };
}

/** `cachedBy` for a single value. */
export function cachedOnce<V>(build: () => Promise<V>): () => Promise<V> {
  const cache = cachedBy<'value', V>(build);
  return () => cache.get('value');
}
