import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../../../shared/errors.ts';
import {
  assertPasswordPolicy,
  currentScryptParams,
  hashPassword,
  needsRehash,
  passwordProblems,
  verifyPassword,
} from './passwords.ts';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('stores scheme, parameters, salt and hash, and verifies with the current parameters', async () => {
    const stored = await hashPassword('Correct-Horse-42');
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    expect([scheme, Number(n), Number(r), Number(p)]).toEqual([
      'scrypt',
      currentScryptParams.N,
      currentScryptParams.r,
      currentScryptParams.p,
    ]);
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64url')).toHaveLength(32);
    expect(await verifyPassword('Correct-Horse-42', stored)).toBe(true);
    expect(await verifyPassword('correct-horse-42', stored)).toBe(false);
  });

  it('salts every hash: the same password twice gives two hashes that both verify', async () => {
    const a = await hashPassword('Same-Password-1', cheap);
    const b = await hashPassword('Same-Password-1', cheap);
    expect(a).not.toBe(b);
    expect(await verifyPassword('Same-Password-1', a)).toBe(true);
    expect(await verifyPassword('Same-Password-1', b)).toBe(true);
  });

  it('verifies with the parameters stored in the hash, not today’s', async () => {
    const old = await hashPassword('Old-Password-1', cheap);
    expect(await verifyPassword('Old-Password-1', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('New-Password-1'))).toBe(false);
  });

  it('never matches a malformed stored hash', async () => {
    for (const stored of ['', 'plain', 'bcrypt$10$abc', 'scrypt$x$8$1$c2FsdA$aGFzaA', 'scrypt$1024$8$1$c2FsdA$']) {
      expect(await verifyPassword('anything-1A', stored)).toBe(false);
      expect(needsRehash(stored)).toBe(true);
    }
  });

  it('treats canonically equal Unicode spellings as the same password', async () => {
    const composed = 'Caf\u00e9-Password-1';
    const decomposed = 'Cafe\u0301-Password-1';
    expect(await verifyPassword(decomposed, await hashPassword(composed, cheap))).toBe(true);
  });
});

describe('password policy', () => {
  const email = 'ada.lovelace@example.test';

  it('accepts a long password that mixes character classes', () => {
    expect(passwordProblems('Correct-Horse-42', email)).toEqual([]);
    expect(passwordProblems('correct horse battery 9', email)).toEqual([]);
  });

  it('refuses short, single-class, over-long passwords and the email itself', () => {
    expect(passwordProblems('Sh0rt!', email)).toEqual([expect.stringContaining('at least 10')]);
    expect(passwordProblems('onlylowercaseletters', email)).toEqual([expect.stringContaining('mix')]);
    expect(passwordProblems('12345678901234', email)).toEqual([expect.stringContaining('mix')]);
    expect(passwordProblems(`Aa1${'x'.repeat(300)}`, email)).toEqual([expect.stringContaining('at most')]);
    expect(passwordProblems(email, email)).toEqual([expect.stringContaining('email')]);
    expect(passwordProblems('Ada.Lovelace', email)).toEqual([expect.stringContaining('email')]);
  });

  it('reports problems as a ValidationFailed on the password field', () => {
    const error = (() => {
      try {
        assertPasswordPolicy('short', email);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationFailed);
    expect((error as ValidationFailed).details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'password' })]));
  });
});
