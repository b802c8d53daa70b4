import { type Pool, withTransaction } from '../../../shared/db/postgres.ts';
import type { LoginThrottle, RefreshTokenRecord, RotateOutcome, SessionStore, ThrottleRule } from '../domain/ports.ts';

export class PgSessionStore implements SessionStore {
  constructor(private readonly pool: Pool) {}

  async insert(record: RefreshTokenRecord): Promise<void> {
    await this.pool.query('INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)', [
      record.tokenHash,
      record.familyId,
      record.userId,
      record.expiresAt,
    ]);
  }

  async rotate(
    presentedHash: string,
    successor: Omit<RefreshTokenRecord, 'familyId' | 'userId'>,
    now: Date,
  ): Promise<RotateOutcome> {
    return withTransaction(this.pool, async (tx) => {
      // The row lock makes two concurrent refreshes with one token see each other: the second one is a reuse.
      const { rows } = await tx.query<{
        family_id: string;
        user_id: string;
        expires_at: Date;
        rotated_at: Date | null;
        revoked_at: Date | null;
      }>('SELECT family_id, user_id, expires_at, rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE', [
        presentedHash,
      ]);
      const row = rows[0];
      if (!row) return { outcome: 'unknown' };
      if (row.rotated_at || row.revoked_at) return { outcome: 'reused', familyId: row.family_id };
      if (row.expires_at <= now) return { outcome: 'expired' };
      await tx.query('UPDATE refresh_tokens SET rotated_at = $2 WHERE token_hash = $1', [presentedHash, now]);
      await tx.query('INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)', [
        successor.tokenHash,
        row.family_id,
        row.user_id,
        successor.expiresAt,
      ]);
      return { outcome: 'rotated', userId: row.user_id, familyId: row.family_id };
    });
  }

  async revokeFamilyOf(tokenHash: string): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE refresh_tokens SET revoked_at = now()
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [tokenHash],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.pool.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId]);
  }

  async purgeFamiliesExpiredBefore(before: Date): Promise<number> {
    // No race with a refresh: rotation refuses an expired token, so a family with no live token never gains one.
    const result = await this.pool.query(
      `DELETE FROM refresh_tokens r
       WHERE r.family_id IN (SELECT family_id FROM refresh_tokens WHERE expires_at < $1)
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens live WHERE live.family_id = r.family_id AND live.expires_at >= $1)`,
      [before],
    );
    return result.rowCount ?? 0;
  }
}

/** Failure counters in one row per key; the counting and locking happen in one statement, so concurrent failures all count. */
export class PgLoginThrottle implements LoginThrottle {
  constructor(private readonly pool: Pool) {}

  async retryAfterSeconds(keys: string[]): Promise<number> {
    const { rows } = await this.pool.query<{ wait: number | null }>(
      'SELECT ceil(max(extract(epoch FROM locked_until - now())))::int AS wait FROM login_throttle WHERE key = ANY($1) AND locked_until > now()',
      [keys],
    );
    return rows[0]?.wait ?? 0;
  }

  async recordFailure(key: string, rule: ThrottleRule): Promise<void> {
    await this.pool.query(
      `INSERT INTO login_throttle AS t (key, failures, window_started_at) VALUES ($1, 1, now())
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
         window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) THEN now() ELSE t.window_started_at END`,
      [key, rule.windowSeconds],
    );
    // A key that reached the limit locks, and its count starts over for the time after the lockout.
    await this.pool.query(
      `UPDATE login_throttle SET locked_until = now() + make_interval(secs => $3), failures = 0, window_started_at = now()
       WHERE key = $1 AND failures >= $2`,
      [key, rule.maxFailures, rule.lockoutSeconds],
    );
  }

  async clear(key: string): Promise<void> {
    await this.pool.query('DELETE FROM login_throttle WHERE key = $1 AND (locked_until IS NULL OR locked_until <= now())', [key]);
  }

  async purgeStale(windowStartedBefore: Date, now: Date): Promise<number> {
    const result = await this.pool.query(
      'DELETE FROM login_throttle WHERE window_started_at < $1 AND (locked_until IS NULL OR locked_until <= $2)',
      [windowStartedBefore, now],
    );
    return result.rowCount ?? 0;
  }
}
