import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { allTables, postgresServices, services } from '../../functions/catalog.ts';
import { startProcessorServer } from '../../functions/payment-processor/server.ts';
import { resetConfig } from '../../shared/config.ts';
import { migrate, readMigrations } from '../../shared/db/migrate.ts';
import { closeMongo } from '../../shared/db/mongo.ts';
import { closePools, type Pool, poolFor } from '../../shared/db/postgres.ts';
import { createAwsEndpoint, eventBridgeOperations, stepFunctionsOperations } from './aws-endpoint.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { type Engines, repoRoot, startEngines } from './engines/index.ts';
import { LocalEventBus } from './event-bus.ts';
import { createHttpGateway, sendJson } from './http-gateway.ts';
import { invoke, onInvocation } from './lambda.ts';
import { localPowertoolsEnv } from './local-env.ts';
import { localMessagingEndpoints } from './local-messaging.ts';
import { PrometheusMetrics } from './metrics.ts';
import { type LocalSaga, startLocalSaga } from './saga.ts';
import { type OfflineSchedules, startSchedules } from './schedules.ts';
import { seeders } from './seed/index.ts';

/** Each service's outbox relay schedule carries this name; offline it also runs right after its service may have written. */
const OUTBOX_RELAY_SCHEDULE = 'outbox-relay';

/** Reads (HTTP GET/HEAD) and the schedules' own runs write no event, so they wake no relay. */
function mayHaveWritten(event: unknown): boolean {
  const e = event as { httpMethod?: string; source?: string } | null;
  if (e?.source === 'aws.scheduler') return false;
  return e?.httpMethod !== 'GET' && e?.httpMethod !== 'HEAD' && e?.httpMethod !== 'OPTIONS';
}

/** The API key `npm start` accepts unless OFFLINE_API_KEY says otherwise; printed at start. */
export const LOCAL_API_KEY = 'local-dev-api-key-0000000000';

export interface RuntimeOptions {
  dataDir: string;
  ports: 'fixed' | 'free';
  /** Keep data across restarts (npm start) or not (tests). */
  persist: boolean;
  seed: boolean;
  port?: number;
  awsPort?: number;
  /** The mock payment processor's own port (default 3002; free with `ports: 'free'`). */
  processorPort?: number;
  rateLimit?: number;
  burstLimit?: number;
  /** The API key clients send offline (x-api-key), with its usage plan limits. */
  apiKey?: string;
  /**
   * The offline length of one catalog minute (default a real minute, as deployed; tests shorten it). The outbox relays
   * do not wait for it: they also run right after any invocation of their service that may have written, so an idle
   * platform stays idle (bench/idle.ts) while events still go out within milliseconds of their write.
   */
  scheduleMinuteMs?: number;
  /** Aborting it (Ctrl-C during startup) ends the start early; what had started is stopped before the rejection. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface Runtime {
  url: string;
  apiKey: string;
  awsUrl: string;
  /** The mock payment processor (its fault controls under /_control/). */
  processorUrl: string;
  engines: Engines;
  bus: LocalEventBus;
  /** The order saga on aws-local-stepfunctions; unset while a saga task has no handler in the catalog. */
  saga?: LocalSaga;
  env: Record<string, string>;
  seeded: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Applies a service's migrations from the repo: the shared outbox tables first, then the service's own files. */
export async function migrateService(pool: Pool, service: string): Promise<string[]> {
  const dirs = [join(repoRoot, 'shared', 'db', 'migrations'), join(repoRoot, 'functions', service, 'store', 'migrations')];
  return migrate(pool, await readMigrations(...dirs));
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** The whole platform in this process: engines, migrations, the local bus and AWS endpoint, the HTTP gateway, schedules, seed data. */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const lock = await lockDataDir(options.dataDir);
  const engines = await startEngines({
    dataDir: options.dataDir,
    ports: options.ports,
    postgresServices: postgresServices(),
    tables: allTables(),
    persistDynamo: options.persist,
    env,
  }).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  const servers: Server[] = [];
  let schedules: OfflineSchedules | undefined;
  let stopWaking: () => unknown = () => undefined;
  const metrics = new PrometheusMetrics();
  const bus = new LocalEventBus(services);
  let saga: LocalSaga | undefined;
  try {
    options.signal?.throwIfAborted();
    // Before the AWS endpoint, which answers the Step Functions API from it.
    const sagaStart = await startLocalSaga(services, options.dataDir);
    if ('missing' in sagaStart) log(`order saga off: no handler in the catalog for ${sagaStart.missing.join(', ')}`);
    else {
      saga = sagaStart;
      if (saga.lost.length)
        log(`order saga: ${saga.lost.length} execution(s) lost with the last run (ABORTED; the reconciler finishes them)`);
    }
    const awsEndpoint = createAwsEndpoint({
      ...eventBridgeOperations(bus),
      ...(saga ? stepFunctionsOperations(saga.runner) : {}),
    });
    servers.push(awsEndpoint);
    const awsPort = await listen(awsEndpoint, options.awsPort ?? (options.ports === 'free' ? 0 : 3001));
    const awsUrl = `http://127.0.0.1:${awsPort}`;
    const processor = await startProcessorServer(options.processorPort ?? (options.ports === 'free' ? 0 : 3002));
    servers.push(processor.server);
    const runtimeEnv: Record<string, string> = {
      ...engines.env,
      STAGE: 'local',
      EVENTBRIDGE_ENDPOINT: awsUrl,
      SFN_ENDPOINT: awsUrl,
      ...sagaStart.env,
      PAYMENT_PROCESSOR_URL: processor.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      ...localPowertoolsEnv(env),
      DATA_DIR: options.dataDir,
    };
    Object.assign(process.env, runtimeEnv);
    resetConfig();

    for (const service of postgresServices()) {
      const applied = await migrateService(await poolFor(service), service);
      if (applied.length) log(`migrated ${service}: ${applied.join(', ')}`);
    }

    const apiKey = options.apiKey ?? env.OFFLINE_API_KEY ?? LOCAL_API_KEY;
    const messaging = localMessagingEndpoints(bus);
    const gateway = createHttpGateway({
      services,
      apiKeys: [
        { name: 'local-developer', value: apiKey, rateLimit: options.rateLimit ?? 200, burstLimit: options.burstLimit ?? 400 },
      ],
      rateLimit: options.rateLimit ?? 200,
      burstLimit: options.burstLimit ?? 400,
      metrics,
      log: (line) => {
        if (line.level === 'ERROR') log(JSON.stringify(line));
      },
      extra: async (req: IncomingMessage, res: ServerResponse) => {
        if (saga && (await saga.endpoints(req, res))) return true;
        if (await messaging(req, res)) return true;
        const path = (req.url ?? '/').split('?')[0];
        if (req.method !== 'GET') return false;
        if (path === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
          res.end(metrics.render());
          return true;
        }
        if (path === '/_local/events') {
          sendJson(res, 200, { events: bus.log.map(({ deliveries, ...e }) => ({ ...e, deliveries })) });
          return true;
        }
        return false;
      },
    });
    servers.push(gateway);
    const port = await listen(gateway, options.port ?? (options.ports === 'free' ? 0 : 3000));
    const url = `http://127.0.0.1:${port}`;
    process.env.API_BASE_URL = url;
    resetConfig();

    schedules = startSchedules(services, {
      minuteMs: options.scheduleMinuteMs ?? 60_000,
      wakeable: (schedule) => schedule.name === OUTBOX_RELAY_SCHEDULE,
      run: async (service, schedule) => {
        try {
          await invoke(
            service.name,
            schedule.handler,
            { source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: {} },
            60,
          );
        } catch (error) {
          log(`schedule ${service.name}.${schedule.name} failed: ${(error as Error).message}`);
        }
      },
    });

    stopWaking = onInvocation((service, _handler, event) => {
      if (mayHaveWritten(event)) schedules?.wake(service);
    });

    const seeded: Record<string, unknown> = {};
    if (options.seed) {
      for (const seeder of seeders) {
        options.signal?.throwIfAborted();
        const started = performance.now();
        const out = await seeder.seed({ log: (m) => log(`seed ${seeder.service}: ${m}`) });
        log(`seed ${seeder.service}: ${Math.round(performance.now() - started)} ms`);
        if (out) seeded[seeder.service] = out;
      }
    }

    return {
      url,
      awsUrl,
      processorUrl: processor.url,
      engines,
      bus,
      saga,
      apiKey,
      env: { ...runtimeEnv, API_BASE_URL: url, API_KEY: apiKey, ENGINE_PIDS: engines.pids().join(',') },
      seeded,
      async stop() {
        // A run still going would otherwise use the pools and engines closed below (and re-open a pool).
        stopWaking();
        await schedules?.stop();
        // Saved as ABORTED, so the next start knows them as lost; before the pools their tasks use are closed.
        await saga?.runner.close();
        await Promise.all(
          servers.map((s) => {
            const closed = new Promise<void>((r) => s.close(() => r()));
            s.closeAllConnections();
            return closed;
          }),
        );
        await bus.drain();
        await closePools();
        await closeMongo();
        await engines.stop();
        metrics.close();
        await lock.release();
      },
    };
  } catch (error) {
    stopWaking();
    await schedules?.stop();
    await saga?.runner.close();
    for (const s of servers) s.close();
    await closePools();
    await closeMongo();
    await engines.stop();
    metrics.close();
    await lock.release();
    throw error;
  }
}
