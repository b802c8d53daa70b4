import { type Pool, withTransaction } from '../../../shared/db/postgres.ts';
import type { LoginThrottle, RefreshTokenRecord, RotateOutcome, SessionStore, ThrottleRule } from '../domain/ports.ts';

export class PgSessionStore implements SessionStore {
  constructor(private readonly pool: Pool) {}

  async insert(record: RefreshTokenRecord, passwordHash: string): Promise<boolean> {
    // The users row is locked (FOR SHARE) until the insert commits, so a password change waits for it and revokes it.
    const result = await this.pool.query(
      `INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at)
       SELECT $1, $2, u.id, $4 FROM (SELECT id FROM users WHERE id = $3 AND password_hash = $5 FOR SHARE) u`,
      [record.tokenHash, record.familyId, record.userId, record.expiresAt, passwordHash],
    );
    return result.rowCount === 1;
  }

  async rotate(
    presentedHash: string,
    successor: Omit<RefreshTokenRecord, 'familyId' | 'userId'>,
    now: Date,
  ): Promise<RotateOutcome> {
    return withTransaction(this.pool, async (tx) => {
      // The user's row first (FOR SHARE, the order a password change locks in): a change waits for this refresh to
      // commit and then revokes its successor too, or this refresh waits for the change and finds its token revoked.
      const owner = await tx.query(
        'SELECT 1 FROM users WHERE id = (SELECT user_id FROM refresh_tokens WHERE token_hash = $1) FOR SHARE',
        [presentedHash],
      );
      if (!owner.rowCount) return { outcome: 'unknown' };
      // The token's row lock makes two concurrent refreshes with one token see each other: the second one is a reuse.
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

/**
 * Attempt counters in one row per key. Counting, the window and the lockout are decided in one upsert: Postgres
 * serialises upserts of one key on its row, so each concurrent attempt sees the count the previous one left.
 */
export class PgLoginThrottle implements LoginThrottle {
  constructor(private readonly pool: Pool) {}

  async admit(key: string, rule: ThrottleRule): Promise<number> {
    // Old values on the right of every SET: `locked` = still locked; `fresh` = window over or lock expired.
    const { rows } = await this.pool.query<{ wait: number | null }>(
      `INSERT INTO login_throttle AS t (key, failures, window_started_at) VALUES ($1, 1, now())
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE
           WHEN t.locked_until > now() THEN t.failures
           WHEN t.locked_until IS NOT NULL OR t.window_started_at <= now() - make_interval(secs => $2) THEN 1
           WHEN t.failures + 1 > $3 THEN 0
           ELSE t.failures + 1 END,
         window_started_at = CASE
           WHEN t.locked_until > now() THEN t.window_started_at
           WHEN t.locked_until IS NOT NULL OR t.window_started_at <= now() - make_interval(secs => $2) OR t.failures + 1 > $3
             THEN now()
           ELSE t.window_started_at END,
         locked_until = CASE
           WHEN t.locked_until > now() THEN t.locked_until
           WHEN t.locked_until IS NULL AND t.window_started_at > now() - make_interval(secs => $2) AND t.failures + 1 > $3
             THEN now() + make_interval(secs => $4)
           ELSE NULL END
       RETURNING ceil(extract(epoch FROM t.locked_until - now()))::int AS wait`,
      [key, rule.windowSeconds, rule.maxFailures, rule.lockoutSeconds],
    );
    return Math.max(rows[0]?.wait ?? 0, 0);
  }

  async clear(key: string): Promise<void> {
    await this.pool.query('DELETE FROM login_throttle WHERE key = $1 AND (locked_until IS NULL OR locked_until <= now())', [key]);
  }

  async forgive(key: string): Promise<void> {
    await this.pool.query(
      'UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1 AND locked_until IS NULL',
      [key],
    );
  }

  async purgeStale(windowStartedBefore: Date, now: Date): Promise<number> {
    const result = await this.pool.query(
      'DELETE FROM login_throttle WHERE window_started_at < $1 AND (locked_until IS NULL OR locked_until <= $2)',
      [windowStartedBefore, now],
    );
    return result.rowCount ?? 0;
  }
}
