import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/offline/engines/index.ts';
import { poolFor } from '../../shared/db/postgres.ts';

const run = promisify(execFile);
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');

async function createAdmin(email: string, password: string) {
  return run(tsx, [join(repoRoot, 'scripts', 'create-admin.ts'), '--email', email, '--name', 'Ops'], {
    cwd: repoRoot,
    env: { ...process.env, ADMIN_PASSWORD: password },
  }).then(
    (out) => ({ code: 0, ...out }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('scripts/create-admin.ts', () => {
  it('creates an admin against DATABASE_URL_USERS once, and is idempotent', async () => {
    const email = `ops-${randomBytes(4).toString('hex')}@example.test`;
    const first = await createAdmin(email, 'Strong-Admin-Pass-1');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`created admin ${email}`);
    const again = await createAdmin(email, 'Strong-Admin-Pass-1');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already an admin');
    const { rows } = await (await poolFor('users')).query('SELECT role FROM users WHERE email = $1', [email]);
    expect(rows).toEqual([{ role: 'admin' }]);
  });

  it('refuses a weak password with exit code 1', async () => {
    const result = await createAdmin(`ops-${randomBytes(4).toString('hex')}@example.test`, 'weak');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('too weak');
  });
});
