import type pg from 'pg';
import { isUniqueViolation, type Pool, withTransaction } from '../../../shared/db/postgres.ts';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import { enqueueEvents } from '../../../shared/events/outbox.ts';
import type { Role } from '../../../shared/http/handler.ts';
import { EmailTaken, type User, type UserStore } from '../domain/ports.ts';

interface UserRow {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

const columns = 'id, email, name, phone, role, password_hash, created_at, updated_at';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    phone: row.phone,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Users in PostgreSQL; every change commits with its events in the outbox, then `afterCommit` may relay them. */
export class PgUserStore implements UserStore {
  constructor(
    private readonly pool: Pool,
    private readonly afterCommit: () => Promise<void> = async () => {},
  ) {}

  private async write(work: (tx: pg.PoolClient) => Promise<boolean>): Promise<boolean> {
    let done: boolean;
    try {
      done = await withTransaction(this.pool, work);
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw new EmailTaken();
      throw error;
    }
    if (done) await this.afterCommit();
    return done;
  }

  async create(user: User, events: EventEnvelope[]): Promise<void> {
    await this.write(async (tx) => {
      await tx.query(`INSERT INTO users (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        user.id,
        user.email,
        user.name,
        user.phone,
        user.role,
        user.passwordHash,
        user.createdAt,
        user.updatedAt,
      ]);
      await enqueueEvents(tx, events);
      return true;
    });
  }

  async findById(id: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${columns} FROM users WHERE lower(email) = lower($1)`, [email]);
    return rows[0] && toUser(rows[0]);
  }

  async update(next: User, expectedUpdatedAt: string, events: EventEnvelope[]): Promise<boolean> {
    return this.write(async (tx) => {
      const result = await tx.query(
        'UPDATE users SET email = $2, name = $3, phone = $4, updated_at = $5 WHERE id = $1 AND updated_at = $6',
        [next.id, next.email, next.name, next.phone, next.updatedAt, expectedUpdatedAt],
      );
      if (result.rowCount !== 1) return false;
      await enqueueEvents(tx, events);
      return true;
    });
  }

  async setPasswordHash(id: string, passwordHash: string, expectedHash: string): Promise<boolean> {
    const result = await this.pool.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3', [
      id,
      passwordHash,
      expectedHash,
    ]);
    return result.rowCount === 1;
  }

  async replacePassword(
    id: string,
    passwordHash: string,
    expectedHash: string,
    updatedAt: string,
    events: EventEnvelope[],
  ): Promise<boolean> {
    return this.write(async (tx) => {
      const result = await tx.query('UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1 AND password_hash = $4', [
        id,
        passwordHash,
        updatedAt,
        expectedHash,
      ]);
      if (result.rowCount !== 1) return false;
      await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id]);
      await enqueueEvents(tx, events);
      return true;
    });
  }
}
