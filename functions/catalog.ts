import type { ServiceManifest, TableSpec } from '../shared/service.ts';
import gateway from './gateway/service.ts';
import notifications from './notifications/service.ts';
import orders from './orders/service.ts';
import payments from './payments/service.ts';
import products from './products/service.ts';
import users from './users/service.ts';

/**
 * The service catalog: the single source of truth for every route, subscription, saga task,
 * schedule and store. CDK (infra/app.ts) and the offline runtime (infra/offline/) both read it.
 */
export const services: ServiceManifest[] = [gateway, users, products, payments, orders, notifications];

export const postgresServices = (): string[] => services.filter((s) => s.stores.postgres).map((s) => s.name);
export const mongoServices = (): string[] => services.filter((s) => s.stores.mongo).map((s) => s.name);
export const allTables = (): TableSpec[] => services.flatMap((s) => s.stores.tables ?? []);
export const serviceNamed = (name: string): ServiceManifest | undefined => services.find((s) => s.name === name);
