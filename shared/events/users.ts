import { z } from 'zod';
import { registerEvents } from './registry.ts';

/** The contact data notifications needs to reach a user without calling the users service. */
const Contact = z.object({
  userId: z.string().min(1),
  email: z.string().email(),
  name: z.string().min(1),
  phone: z.string().nullable(),
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
