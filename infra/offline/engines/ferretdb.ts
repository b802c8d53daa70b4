import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { ensurePortFree, portHint, waitForPort } from './ports.ts';
import type { Engine, EngineHealth } from './types.ts';

export interface FerretOptions {
  dataDir: string;
  port: number;
  binary: string;
  /** MONGODB_URI of an existing MongoDB-compatible server (e.g. DocumentDB through a tunnel); skips FerretDB. */
  externalUri?: string;
  /** How long FerretDB may take to listen before the start fails (and the child is stopped). */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process has exited (and been reaped). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A FerretDB this data dir's last run left behind (the runtime was killed hard): ours if its recorded pid is a
 * FerretDB on this data dir (checked in /proc, so a reused pid is left alone); stopped so this start can take the port.
 */
async function stopLeftover(dataDir: string, log?: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'ferretdb.pid');
  const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
  if (!Number.isSafeInteger(pid) || pid <= 0 || !alive(pid)) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('ferretdb') || !cmdline.includes(`--state-dir=${dataDir}`)) return;
  log?.(`ferretdb: stopping the one a previous run left behind (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(pidFile, { force: true });
}

/**
 * FerretDB v1.24.2 on its SQLite backend: the MongoDB wire protocol with no second server to run,
 * so this engine starts and stops on its own, independently of PostgreSQL.
 */
export async function startFerretDB(options: FerretOptions): Promise<Engine> {
  let child: ChildProcess | undefined;
  const uri = options.externalUri ?? `mongodb://127.0.0.1:${options.port}/`;
  if (!options.externalUri) {
    if (!existsSync(options.binary)) throw new Error(`FerretDB is not built at ${options.binary}: run \`npm run setup\``);
    await mkdir(options.dataDir, { recursive: true });
    await stopLeftover(options.dataDir, options.log);
    // Otherwise the new FerretDB fails to bind and exits while the old listener answers for it, and stop() stops nothing.
    await ensurePortFree(options.port, 'FerretDB');
    child = spawn(
      options.binary,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${join(options.dataDir, '/')}`,
        `--state-dir=${options.dataDir}`,
        `--listen-addr=127.0.0.1:${options.port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=warn',
        '--log-format=text',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const current = child;
    if (current.pid) await writeFile(join(options.dataDir, 'ferretdb.pid'), String(current.pid));
    let exited = false;
    current.on('exit', () => {
      exited = true;
    });
    // A binary that cannot be spawned reports it here; unheard, the event would crash the process.
    current.on('error', (error) => {
      exited = true;
      options.log?.(`ferretdb: ${error.message}`);
    });
    current.stdout?.on('data', (d) => options.log?.(String(d)));
    current.stderr?.on('data', (d) => options.log?.(String(d)));
    try {
      await waitForPort(options.port, options.startTimeoutMs ?? 20_000, () => !exited);
      // Something that took the port after the check above answered instead of the child, which then exited.
      if (exited)
        throw new Error(`FerretDB exited while starting on port ${options.port} (port in use? ${portHint(options.port)})`);
    } catch (error) {
      await stopChild(current);
      throw error;
    }
  }
  return {
    name: 'ferretdb',
    mode: child ? 'embedded' : 'external',
    env: () => ({ MONGODB_URI: uri }),
    pids: () => (child?.pid ? [child.pid] : []),
    async health(): Promise<EngineHealth> {
      const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 2_000 });
      try {
        await conn.asPromise();
        const ping = await conn.db?.admin().command({ ping: 1 });
        return {
          name: 'ferretdb',
          mode: child ? 'embedded' : 'external',
          ok: ping?.ok === 1,
          detail: `ping ${JSON.stringify(ping)}`,
        };
      } catch (error) {
        return { name: 'ferretdb', mode: child ? 'embedded' : 'external', ok: false, detail: (error as Error).message };
      } finally {
        await conn.close().catch(() => {});
      }
    },
    async stop() {
      if (child) await stopChild(child);
    },
  };
}
