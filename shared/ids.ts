import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Opaque, URL-safe, roughly time-ordered ids: `<prefix>_<10 chars of time><16 chars of randomness>`.
 * Clients must treat them as strings; the time part only keeps database indexes append-friendly.
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = '';
  for (const b of bytes) random += alphabet[b % 32];
  return `${prefix}_${time}${random}`;
}

export const idPattern = /^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$/;
