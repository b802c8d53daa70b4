import * as z from 'zod';
import { idPattern } from '../../shared/ids.ts';
import { text } from '../../shared/text.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './domain/passwords.ts';

// Request shapes are strict: a field the client may not set (role, id, passwordHash, timestamps) is a 400, never ignored.
// A pattern, not .email(): the spec's `format: email` would mean RFC rules (64-character local part) the server does not apply.
export const Email = text({ max: 254 }).regex(z.regexes.email, 'an email address');
export const Name = text({ min: 1, max: 100, name: true, trim: true });
export const Phone = text({ max: 20 }).regex(/^\+?[0-9][0-9 ()-]{5,19}$/, 'a phone number such as +44 20 7946 0958');
/** A password being checked (sign-in, the current one): any text, the policy is not re-applied to old passwords. */
export const Password = text({ min: 1, max: PASSWORD_MAX_LENGTH });
// Two of the four character classes, in either order: the policy of domain/passwords.ts as one pattern.
const classes = ['[a-z]', '[A-Z]', '[0-9]', '[^a-zA-Z0-9]'];
const twoClasses = classes.flatMap((a) => classes.filter((b) => b !== a).map((b) => `${a}[\\s\\S]*${b}`)).join('|');
/** A password being set: the policy (domain/passwords.ts) in the schema, so the spec states it too. */
export const NewPassword = text({ min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH })
  .regex(new RegExp(twoClasses), 'must mix at least two of lower-case, upper-case, digits and symbols')
  .describe(
    `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters mixing at least two of lower-case, upper-case, digits and symbols; not the email address (nor its part before @)`,
  );
export const RefreshTokenBody = z.object({ refreshToken: text({ min: 10, max: 200 }) }).strict();
export const UserPath = z.object({ id: z.string().regex(idPattern, 'a user id') }).strict();

export const PublicUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  phone: z.string().nullable(),
  role: z.enum(['customer', 'admin']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const UserBody = z.object({ user: PublicUser });

export const exampleUser = {
  id: 'usr_01k9z8x7w6v5t4s3r2q1p0n9m8',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  phone: '+44 20 7946 0958',
  role: 'customer',
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
} as const;

export const Session = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().positive().describe('Seconds the access token is valid'),
  refreshToken: z.string(),
  refreshExpiresAt: z.iso.datetime(),
  user: PublicUser,
});
export const exampleSession = {
  accessToken: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c3JfMDEifQ.c2lnbmF0dXJl',
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshToken: 'rt_3q2-7wEvhVJx4QmZf0sR8kYbT1nC5uL9aD6gH2jK4pM',
  refreshExpiresAt: '2026-02-14T09:30:00.000Z',
  user: exampleUser,
} as const;
