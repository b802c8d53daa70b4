import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from './data-dir-lock.ts';

describe('lockDataDir', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a data dir a live runtime holds, naming its pid, and frees it on release', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shop-lock-'));
    // The holder: this test's parent process, alive for the whole test.
    await writeFile(join(dir, 'runtime.lock'), String(process.ppid));
    await expect(lockDataDir(dir)).rejects.toThrow(new RegExp(`Another offline runtime \\(pid ${process.ppid}\\)`));
    await rm(join(dir, 'runtime.lock'));
    const lock = await lockDataDir(dir);
    expect(await readFile(join(dir, 'runtime.lock'), 'utf8')).toBe(String(process.pid));
    await lock.release();
    await expect(lockDataDir(dir).then((l) => l.release())).resolves.toBeUndefined();
  });

  it('takes over the lock of a runtime that was killed hard', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shop-lock-'));
    const gone = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    await writeFile(join(dir, 'runtime.lock'), String(gone));
    const lock = await lockDataDir(dir);
    expect(await readFile(join(dir, 'runtime.lock'), 'utf8')).toBe(String(process.pid));
    await lock.release();
  });
});
