import { Conflict, NotFound } from '../../../shared/errors.ts';
import { createEvent } from '../../../shared/events/envelope.ts';
import type { UserRegistered, UserUpdated } from '../../../shared/events/users.ts';
import type { Principal, Role } from '../../../shared/http/handler.ts';
import { newId } from '../../../shared/ids.ts';
import { assertPasswordPolicy, hashPassword } from './passwords.ts';
import { EmailTaken, type PublicUser, type RequestContext, toPublicUser, type User, type UsersDeps } from './ports.ts';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewAccount {
  email: string;
  password: string;
  name: string;
  phone?: string | null;
}

async function createAccount(
  deps: Pick<UsersDeps, 'users' | 'now'>,
  input: NewAccount,
  role: Role,
  ctx: RequestContext,
): Promise<User> {
  const email = normalizeEmail(input.email);
  assertPasswordPolicy(input.password, email);
  const now = deps.now().toISOString();
  const user: User = {
    id: newId('usr'),
    email,
    name: input.name.trim(),
    phone: input.phone ?? null,
    role,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
    updatedAt: now,
  };
  const data: UserRegistered = { userId: user.id, email, name: user.name, phone: user.phone, role, registeredAt: now };
  try {
    await deps.users.create(user, [createEvent('users', 'user.registered', data, ctx.correlationId)]);
  } catch (error) {
    if (error instanceof EmailTaken) throw new Conflict('An account with this email already exists', { field: 'email' });
    throw error;
  }
  return user;
}

/** Self-registration: always a customer, whatever the request says. */
export async function registerCustomer(
  deps: Pick<UsersDeps, 'users' | 'now'>,
  input: NewAccount,
  ctx: RequestContext,
): Promise<PublicUser> {
  return toPublicUser(await createAccount(deps, input, 'customer', ctx));
}

/**
 * Creates the admin account if it does not exist (seed and the create-admin script); idempotent for an admin.
 * An existing customer with that email is not promoted silently: that is a Conflict.
 */
export async function ensureAdmin(
  deps: Pick<UsersDeps, 'users' | 'now'>,
  input: NewAccount,
  ctx: RequestContext,
): Promise<{ user: PublicUser; created: boolean }> {
  const existing = await deps.users.findByEmail(normalizeEmail(input.email));
  if (existing) {
    if (existing.role !== 'admin') throw new Conflict(`${existing.email} exists and is not an admin`);
    return { user: toPublicUser(existing), created: false };
  }
  try {
    return { user: toPublicUser(await createAccount(deps, input, 'admin', ctx)), created: true };
  } catch (error) {
    // Two seeders racing: the other one created it.
    const now = error instanceof Conflict ? await deps.users.findByEmail(normalizeEmail(input.email)) : undefined;
    if (now?.role === 'admin') return { user: toPublicUser(now), created: false };
    throw error;
  }
}

/** Customers see only themselves; another user's id answers 404 exactly like an unknown id, so ids cannot be probed. */
async function visibleUser(deps: Pick<UsersDeps, 'users'>, principal: Principal, id: string): Promise<User> {
  const user = principal.role === 'admin' || principal.userId === id ? await deps.users.findById(id) : undefined;
  if (!user) throw new NotFound(`No user ${id}`);
  return user;
}

export async function getUser(deps: Pick<UsersDeps, 'users'>, principal: Principal, id: string): Promise<PublicUser> {
  return toPublicUser(await visibleUser(deps, principal, id));
}

export interface ProfileChanges {
  email?: string;
  name?: string;
  phone?: string | null;
}

export async function updateUser(
  deps: Pick<UsersDeps, 'users' | 'now'>,
  principal: Principal,
  id: string,
  changes: ProfileChanges,
  ctx: RequestContext,
): Promise<PublicUser> {
  const current = await visibleUser(deps, principal, id);
  const next: User = { ...current };
  if (changes.email !== undefined) next.email = normalizeEmail(changes.email);
  if (changes.name !== undefined) next.name = changes.name.trim();
  if (changes.phone !== undefined) next.phone = changes.phone;
  const changed = (['email', 'name', 'phone'] as const).filter((field) => next[field] !== current[field]);
  if (!changed.length) return toPublicUser(current);
  next.updatedAt = deps.now().toISOString();
  const data: UserUpdated = {
    userId: id,
    email: next.email,
    name: next.name,
    phone: next.phone,
    changed,
    updatedAt: next.updatedAt,
  };
  let written: boolean;
  try {
    written = await deps.users.update(next, current.updatedAt, [createEvent('users', 'user.updated', data, ctx.correlationId)]);
  } catch (error) {
    if (error instanceof EmailTaken) throw new Conflict('An account with this email already exists', { field: 'email' });
    throw error;
  }
  if (!written) throw new Conflict('The user was changed by another request; read it again and retry');
  return toPublicUser(next);
}
