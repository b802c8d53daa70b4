import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { ensurePortFree, isAlive, portHint, waitForExit, waitForPort } from './ports.ts';
import type { Engine, EngineHealth } from './types.ts';

const execFileAsync = promisify(execFile);

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

/** A signal to a process that may have exited since it was checked: that race is not an error. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Whether the process is a FerretDB on exactly this data dir (`ps` rather than /proc, which macOS lacks). */
async function isFerretOn(pid: number, dataDir: string): Promise<boolean> {
  const command = await execFileAsync('ps', ['-ww', '-o', 'command=', '-p', String(pid)]).then(
    ({ stdout }) => stdout.trim(),
    () => '',
  );
  // A whole argument: `/x/data` must not match a FerretDB on `/x/data2`.
  return command.includes('ferretdb') && ` ${command} `.includes(` --state-dir=${dataDir} `);
}

const isPid = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

/**
 * A FerretDB the last run on this data dir left behind when it was killed hard: stopped so this start can take the port,
 * but only once the runtime that spawned it is gone (a live one is still using it) and only if the recorded pid is still
 * a FerretDB on this data dir (not a reused pid).
 */
async function stopLeftover(dataDir: string, log?: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'ferretdb.pid');
  let recorded: { pid?: unknown; owner?: unknown };
  try {
    recorded = JSON.parse(await readFile(pidFile, 'utf8'));
  } catch {
    return;
  }
  const { pid, owner } = recorded ?? {};
  if (!isPid(pid) || !isPid(owner) || isAlive(owner) || !isAlive(pid) || !(await isFerretOn(pid, dataDir))) return;
  log?.(`ferretdb: stopping the one a previous run (pid ${owner}, gone) left behind (pid ${pid})`);
  signal(pid, 'SIGTERM');
  await waitForExit(pid, 5_000);
  if (isAlive(pid)) {
    signal(pid, 'SIGKILL');
    await waitForExit(pid, 2_000);
  }
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
    // With its owner, so a later start can tell a live runtime's FerretDB from one a killed runtime left behind.
    if (current.pid)
      await writeFile(join(options.dataDir, 'ferretdb.pid'), JSON.stringify({ pid: current.pid, owner: process.pid }));
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
