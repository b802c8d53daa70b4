// Starts the offline platform as `npm start` does (infra/offline/start.ts, its own process, free loopback ports, a
// data dir of its own) for the benches that measure it from outside.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export interface OfflinePlatform {
  child: ChildProcess;
  url: string;
  apiKey: string;
  /** What the runtime wrote to DATA_DIR/runtime-env.json: engine addresses (MONGODB_URI, DATABASE_URL_*, ...). */
  env: Record<string, string>;
  readyMs: number;
  output: () => string;
  stop(): Promise<void>;
}

export async function startOffline(dataDir: string, extraEnv: Record<string, string> = {}): Promise<OfflinePlatform> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'infra', 'offline', 'start.ts')], {
    cwd: root,
    env: { ...process.env, PORTS: 'free', DATA_DIR: dataDir, LOG_LEVEL: 'ERROR', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const readyMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 180 s:\n${output}`)), 180_000);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before READY:\n${output}`)));
    child.stdout!.on('data', (d) => {
      output += String(d);
      if (output.includes('READY ')) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    });
    child.stderr!.on('data', (d) => {
      output += String(d);
    });
  });
  const env = JSON.parse(await readFile(join(dataDir, 'runtime-env.json'), 'utf8')) as Record<string, string>;
  const url = /API:\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '';
  const apiKey = /API key:\s+(\S+)/.exec(output)?.[1] ?? '';
  return {
    child,
    url,
    apiKey,
    env,
    readyMs,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** A process's parent and CPU ticks from /proc/<pid>/stat (fields after the command name, which may hold spaces). */
async function procStat(pid: number | string): Promise<{ ppid: number; own: number; reapedChildren: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[1] = ppid; [11..14] = utime, stime, cutime, cstime
  return {
    ppid: Number(fields[1]),
    own: Number(fields[11]) + Number(fields[12]),
    reapedChildren: Number(fields[13]) + Number(fields[14]),
  };
}

/** CPU seconds (user + system) of one process alone, from /proc. */
export async function processCpuSeconds(pid: number): Promise<number> {
  return (await procStat(pid)).own / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds (user + system, with reaped children) of a process and every live descendant, from /proc. */
export async function treeCpuSeconds(pid: number): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { ppid, own, reapedChildren } = await procStat(name);
      stats.set(Number(name), { ppid, ticks: own + reapedChildren });
    } catch {
      // exited while listing
    }
  }
  const inTree = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, s] of stats)
      if (!inTree.has(p) && inTree.has(s.ppid)) {
        inTree.add(p);
        grew = true;
      }
  }
  let ticks = 0;
  for (const p of inTree) ticks += stats.get(p)?.ticks ?? 0;
  return ticks / 100; // USER_HZ is 100 on Linux
}
