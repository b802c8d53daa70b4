import { z } from 'zod';
import { idPattern } from '../../shared/ids.ts';
import { PASSWORD_MAX_LENGTH } from './domain/passwords.ts';

// Request shapes are strict: a field the client may not set (role, id, passwordHash, timestamps) is a 400, never ignored.
export const Email = z.string().trim().max(254).email();
export const Name = z.string().trim().min(1).max(100);
export const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ()-]{5,19}$/, 'a phone number such as +44 20 7946 0958');
export const Password = z.string().min(1).max(PASSWORD_MAX_LENGTH);
export const RefreshTokenBody = z.object({ refreshToken: z.string().min(10).max(200) }).strict();
export const UserPath = z.object({ id: z.string().regex(idPattern, 'a user id') });
