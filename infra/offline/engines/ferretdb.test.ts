import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFerretDB } from './ferretdb.ts';
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
});
