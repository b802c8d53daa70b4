/** Callers remembered per limiter; beyond it the least recently seen is forgotten (its bucket starts full again). */
export const MAX_BUCKETS = 50_000;

/** Token buckets keyed by caller: `rate` tokens a second, up to `burst`. */
export class RateLimiter {
  // Map order is recency order: each take re-inserts its bucket, so the first key is the least recently used.
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now = () => Date.now(),
  ) {}

  /** 0 when the call may go ahead; otherwise the seconds to wait before the next token. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.rate;
  }
}
