// Time from `infra/offline/start.ts` launch to READY (every engine up, migrations applied, demo data seeded),
// cold (empty data directory) and warm (the same directory again), as `npm start` experiences it.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordResults } from './lib/results.ts';

const root = join(import.meta.dirname, '..');

async function timeToReady(dataDir: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'infra', 'offline', 'start.ts')], {
    cwd: root,
    env: { ...process.env, PORTS: 'free', DATA_DIR: dataDir, LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ms = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 120 s:\n${output}`)), 120_000);
    child.stdout.on('data', (d) => {
      output += String(d);
      if (output.includes('READY ')) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    });
    child.stderr.on('data', (d) => {
      output += String(d);
    });
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
  return ms;
}

const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-start-'));
try {
  const cold = await timeToReady(dataDir);
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) warm.push(await timeToReady(dataDir));
  warm.sort((a, b) => a - b);
  console.log(`startup cold (empty .data): ${(cold / 1000).toFixed(2)} s`);
  console.log(
    `startup warm (median of 3): ${(warm[1]! / 1000).toFixed(2)} s  (min ${(warm[0]! / 1000).toFixed(2)} s, max ${(warm[2]! / 1000).toFixed(2)} s)`,
  );
  recordResults('startup', {
    coldMs: Math.round(cold),
    warmMs: warm.map(Math.round),
    targets: { coldMs: 20_000, warmMs: 5_000 },
  });
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
