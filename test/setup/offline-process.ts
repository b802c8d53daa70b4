import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../infra/offline/engines/index.ts';

export interface OfflineProcess {
  url: string;
  child: ChildProcess;
  dataDir: string;
  /** Everything the runtime wrote to stdout and stderr (its services' logs), appended as it arrives: DATA_DIR/runtime.log. */
  logFile: string;
  /** The environment the runtime gave its services (engine URLs), read from the process's env file. */
  env: Record<string, string>;
  output(): string;
  /** Sends SIGINT (Ctrl-C) and waits for the process to exit. */
  stop(): Promise<number | null>;
}

/** Starts `infra/offline/start.ts` exactly as `npm start` does, but on free ports with a throwaway data dir. */
export async function startOfflineProcess(extraEnv: Record<string, string> = {}): Promise<OfflineProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shop-e2e-'));
  // Node itself with the tsx loader, as `npm start` runs it: the tsx CLI wrapper can kill a busy child before it cleans up.
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'infra', 'offline', 'start.ts')], {
    cwd: repoRoot,
    env: { ...process.env, PORTS: 'free', DATA_DIR: dataDir, LOG_LEVEL: 'ERROR', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const logFile = join(dataDir, 'runtime.log');
  // Written synchronously as it arrives, so a test reading the file sees every line the runtime had sent by then.
  const log = openSync(logFile, 'a');
  const capture = (d: Buffer) => {
    writeSync(log, d);
    output += String(d);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  child.once('close', () => closeSync(log));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`offline runtime did not start within 90 s:\n${output}`)), 90_000);
    const onData = () => {
      const m = /READY (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`offline runtime exited with ${code}:\n${output}`));
    });
  });
  const env = JSON.parse(await readFile(join(dataDir, 'runtime-env.json'), 'utf8')) as Record<string, string>;
  return {
    url,
    child,
    dataDir,
    logFile,
    env,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
