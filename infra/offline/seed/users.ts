import * as z from 'zod';
import { usersApp } from '../../../functions/users/composition.ts';
import { ensureAdmin } from '../../../functions/users/domain/accounts.ts';
import { serviceConfig } from '../../../shared/config.ts';
import type { Seeder } from './index.ts';

export const AdminSeedConfig = z.object({
  ADMIN_EMAIL: z.string().trim().email().default('admin@shop.local'),
  ADMIN_PASSWORD: z.string().min(1).default('ChangeMe-Admin-2026!'),
});

/** The offline admin account, from ADMIN_EMAIL / ADMIN_PASSWORD; already there after the first start. */
export const usersSeeder: Seeder = {
  service: 'users',
  async seed(ctx) {
    const cfg = serviceConfig(AdminSeedConfig);
    const { user, created } = await ensureAdmin(
      await usersApp(),
      { email: cfg.ADMIN_EMAIL, password: cfg.ADMIN_PASSWORD, name: 'Administrator' },
      { correlationId: 'seed' },
    );
    ctx.log(created ? `created admin ${user.email}` : `admin ${user.email} already exists`);
    return { admin: user.email };
  },
};
