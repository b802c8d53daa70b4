import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFerretDB } from './ferretdb.ts';
import { ferretdbBinary } from './index.ts';
import { freePort } from './ports.ts';

const spawned: ChildProcess[] = [];
vi.mock('node:child_process', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:child_process')>();
  return {
    ...original,
    spawn: (...args: Parameters<typeof original.spawn>) => {
      const child = original.spawn(...args);
      spawned.push(child);
      return child;
    },
  };
});

/** The pid of a process that has already exited (a runtime that was killed). */
async function exitedPid(): Promise<number> {
  const { spawn } = await vi.importActual<typeof import('node:child_process')>('node:child_process');
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('startFerretDB', () => {
  let dir: string | undefined;
  afterEach(async () => {
    for (const child of spawned.splice(0)) child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops the FerretDB it spawned when that never listens, before rejecting', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferret-start-'));
    const binary = join(dir, 'never-listens');
    await writeFile(binary, '#!/bin/sh\nexec sleep 600\n');
    await chmod(binary, 0o755);

    await expect(
      startFerretDB({ dataDir: join(dir, 'data'), port: await freePort(), binary, startTimeoutMs: 300 }),
    ).rejects.toThrow(/nothing listened/);

    expect(spawned).toHaveLength(1);
    const pid = spawned[0]!.pid!;
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('stops the FerretDB a hard-killed previous run left on this data dir, then starts on its port', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferret-leftover-'));
    const options = { dataDir: join(dir, 'data'), port: await freePort(), binary: ferretdbBinary };
    const first = await startFerretDB(options);
    const [leftover] = first.pids();
    // No stop(), and its owner gone: the way a `kill -9` of the runtime leaves it.
    const pidFile = join(options.dataDir, 'ferretdb.pid');
    const recorded = JSON.parse(await readFile(pidFile, 'utf8'));
    expect(recorded).toEqual({ pid: leftover, owner: process.pid });
    await writeFile(pidFile, JSON.stringify({ ...recorded, owner: await exitedPid() }));
    const second = await startFerretDB(options);
    try {
      expect(() => process.kill(leftover!, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
      expect(second.pids()).not.toEqual([leftover]);
      expect((await second.health()).ok).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('leaves alone the FerretDB of a runtime still running on this data dir, and refuses its port', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferret-live-'));
    const options = { dataDir: join(dir, 'data'), port: await freePort(), binary: ferretdbBinary };
    const first = await startFerretDB(options);
    try {
      await expect(startFerretDB(options)).rejects.toThrow(
        new RegExp(`port ${options.port} is already in use .*lsof -i :${options.port}`),
      );
      expect(() => process.kill(first.pids()[0]!, 0)).not.toThrow();
      expect((await first.health()).ok).toBe(true);
    } finally {
      await first.stop();
    }
  });

  it('leaves alone a recorded pid that is a FerretDB on another data dir (`data2` is not `data`)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferret-other-'));
    const port = await freePort();
    const other = await startFerretDB({ dataDir: join(dir, 'data2'), port, binary: ferretdbBinary });
    try {
      const recorded = JSON.parse(await readFile(join(dir, 'data2', 'ferretdb.pid'), 'utf8'));
      await mkdir(join(dir, 'data'));
      await writeFile(join(dir, 'data', 'ferretdb.pid'), JSON.stringify({ ...recorded, owner: await exitedPid() }));
      await expect(startFerretDB({ dataDir: join(dir, 'data'), port, binary: ferretdbBinary })).rejects.toThrow(
        new RegExp(`port ${port} is already in use`),
      );
      expect((await other.health()).ok).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('refuses a port something else already listens on, naming it, and leaves no FerretDB behind', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferret-taken-'));
    const squatter = createServer();
    const port = await new Promise<number>((resolve) =>
      squatter.listen(0, '127.0.0.1', () => resolve((squatter.address() as { port: number }).port)),
    );
    try {
      await expect(
        startFerretDB({ dataDir: join(dir, 'data'), port, binary: ferretdbBinary, startTimeoutMs: 20_000 }),
      ).rejects.toThrow(new RegExp(`port ${port} is already in use .*lsof -i :${port}`));
      const alive = spawned.filter((child) => {
        try {
          process.kill(child.pid!, 0);
          return true;
        } catch {
          return false;
        }
      });
      expect(alive).toEqual([]);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });
});
