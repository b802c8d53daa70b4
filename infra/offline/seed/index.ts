import { ordersSeeder } from './orders.ts';
import { productsSeeder } from './products.ts';
import { usersSeeder } from './users.ts';

/** What a seeder gets: the runtime's environment is already in process.env, so domain code and stores work as in a handler. */
export interface SeedContext {
  log(message: string): void;
}

export interface Seeder {
  service: string;
  /** Idempotent: running it on an already seeded store changes nothing. */
  seed(ctx: SeedContext): Promise<Record<string, unknown> | undefined>;
}

/** Demo data for `npm start`, in dependency order. Each service adds its seeder here. */
export const seeders: Seeder[] = [usersSeeder, productsSeeder, ordersSeeder];
