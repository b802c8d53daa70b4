import { join } from 'node:path';
import type { TableSpec } from '../../../shared/service.ts';
import { startDynalite } from './dynalite.ts';
import { startFerretDB } from './ferretdb.ts';
import { freePort } from './ports.ts';
import { startPostgres } from './postgres.ts';
import type { Engine, EngineHealth } from './types.ts';

export type { Engine, EngineHealth } from './types.ts';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');
export const ferretdbBinary = join(repoRoot, '.tools', 'bin', 'ferretdb');

/** Fixed ports for `npm start` (each can be moved with an environment variable); tests take free ones. */
export const defaultPorts = { postgres: 55432, ferretdb: 57017, dynamodb: 58000 };

export interface EnginesOptions {
  /** Where engine data lives: `.data/` for `npm start` (kept across restarts), a temp dir for tests. */
  dataDir: string;
  ports: 'fixed' | 'free';
  postgresServices: string[];
  tables: TableSpec[];
  /** Keep DynamoDB data on disk (npm start) or in memory (tests). */
  persistDynamo: boolean;
  env?: NodeJS.ProcessEnv;
  log?: (engine: string, line: string) => void;
}

export interface Engines {
  env: Record<string, string>;
  all: Engine[];
  pids(): number[];
  health(): Promise<EngineHealth[]>;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL, FerretDB and dynalite as one unit, in parallel, and stops them as one.
 * Any engine can be swapped for an external one: DATABASE_URL_<SERVICE>, MONGODB_URI, DYNAMODB_ENDPOINT.
 */
export async function startEngines(options: EnginesOptions): Promise<Engines> {
  const env = options.env ?? process.env;
  const port = async (name: keyof typeof defaultPorts, variable: string) =>
    env[variable] ? Number(env[variable]) : options.ports === 'free' ? freePort() : defaultPorts[name];
  const external = Object.fromEntries(
    options.postgresServices.flatMap((s) => {
      const url = env[`DATABASE_URL_${s.toUpperCase()}`];
      return url ? [[s, url]] : [];
    }),
  );
  const started = await Promise.allSettled([
    port('postgres', 'POSTGRES_PORT').then((p) =>
      startPostgres({
        dataDir: join(options.dataDir, 'postgres'),
        port: p,
        services: options.postgresServices,
        external,
        log: (l) => options.log?.('postgres', l),
      }),
    ),
    port('ferretdb', 'FERRETDB_PORT').then((p) =>
      startFerretDB({
        dataDir: join(options.dataDir, 'ferretdb'),
        port: p,
        binary: ferretdbBinary,
        externalUri: env.MONGODB_URI,
        log: (l) => options.log?.('ferretdb', l),
      }),
    ),
    port('dynamodb', 'DYNAMODB_PORT').then((p) =>
      startDynalite({
        dataDir: options.persistDynamo ? join(options.dataDir, 'dynamodb') : undefined,
        port: p,
        externalEndpoint: env.DYNAMODB_ENDPOINT,
        tables: options.tables,
      }),
    ),
  ]);
  // A starter that rejects has already stopped whatever it started, so only the engines that started are left to stop.
  const all = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures: unknown[] = started.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  const stop = async () => {
    await Promise.allSettled(all.map((e) => e.stop()));
  };
  if (failures.length) {
    await stop();
    throw new AggregateError(
      failures,
      `engines failed to start: ${failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; ')}`,
    );
  }
  return {
    env: Object.assign({}, ...all.map((e) => e.env())),
    all,
    pids: () => all.flatMap((e) => e.pids()),
    health: () => Promise.all(all.map((e) => e.health())),
    stop,
  };
}
