import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { ValidationFailed } from '../../../shared/errors.ts';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. Memory per hash is 128 * N * r bytes. */
  N: number;
  r: number;
  p: number;
}

/**
 * 2^15 * 8 * 128 B = 32 MiB and about 100 ms per hash on this hardware (bench/README.md): slow enough to make
 * offline guessing expensive, cheap enough that login stays interactive. Raise it here; logins rehash old hashes.
 */
export const currentScryptParams: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
export const PASSWORD_MAX_LENGTH = 256;
export const PASSWORD_MIN_LENGTH = 10;

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      keyLength,
      { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string, params: ScryptParams = currentScryptParams): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, params, KEY_LENGTH);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!Object.values(params).every((v) => Number.isSafeInteger(v) && v > 0)) return undefined;
  return { params, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

/** Constant-time comparison of the derived key; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.hash.length === 0) return false;
  const candidate = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when the hash was made with other parameters than today's: the next successful login rehashes it. */
export function needsRehash(stored: string, params: ScryptParams = currentScryptParams): boolean {
  const parsed = parseHash(stored);
  return (
    !parsed ||
    parsed.params.N !== params.N ||
    parsed.params.r !== params.r ||
    parsed.params.p !== params.p ||
    parsed.hash.length !== KEY_LENGTH
  );
}

const characterClasses = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/];

/** Problems with a new password, empty when it is acceptable. */
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  // Characters (code points), as the API schema's minLength and maxLength count them.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (characterClasses.filter((c) => c.test(password)).length < 2) {
    problems.push('must mix at least two of lower-case, upper-case, digits and symbols');
  }
  const lowered = password.trim().toLowerCase();
  const localPart = email.split('@')[0] ?? '';
  if (lowered === email || (localPart.length >= 3 && lowered === localPart)) problems.push('must not be the email address');
  return problems;
}

export function assertPasswordPolicy(password: string, email: string, field = 'password'): void {
  const problems = passwordProblems(password, email);
  if (problems.length) {
    throw new ValidationFailed(
      'The password is too weak',
      problems.map((message) => ({ path: field, message, in: 'body' })),
    );
  }
}
