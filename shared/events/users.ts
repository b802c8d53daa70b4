import * as z from 'zod';
import { text } from '../text.ts';
import { registerEvents } from './registry.ts';

/** The contact data notifications needs to reach a user without calling the users service. */
const Contact = z.object({
  userId: text({ min: 1, max: 100 }),
  email: text({ max: 254 }).email(),
  name: text({ min: 1, max: 100, name: true }),
  phone: text({ max: 20 }).nullable(),
});

export const UserRegistered = Contact.extend({
  role: z.enum(['customer', 'admin']),
  registeredAt: z.string().datetime(),
});
export type UserRegistered = z.infer<typeof UserRegistered>;

export const UserUpdated = Contact.extend({
  /** Which contact fields changed in this update. */
  changed: z.array(z.enum(['email', 'name', 'phone'])).min(1),
  updatedAt: z.string().datetime(),
});
export type UserUpdated = z.infer<typeof UserUpdated>;

/** So the holder can be told (and can react) when their password changes; every session was signed out with it. */
export const UserPasswordChanged = Contact.extend({ changedAt: z.string().datetime() });
export type UserPasswordChanged = z.infer<typeof UserPasswordChanged>;

registerEvents('users', {
  'user.registered': UserRegistered,
  'user.updated': UserUpdated,
  'user.password.changed': UserPasswordChanged,
});
