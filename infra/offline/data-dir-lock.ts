import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './engines/ports.ts';

/**
 * One offline runtime per data dir: a second one would share its engines' files (and stop or corrupt them).
 * The lock is a file holding the owner's pid; an owner that is gone (killed hard) leaves a lock anyone may take.
 */
export async function lockDataDir(dataDir: string): Promise<{ release(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, 'runtime.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const owner = Number(await readFile(file, 'utf8').catch(() => ''));
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner))
      throw new Error(
        `Another offline runtime (pid ${owner}) is using ${dataDir}: stop it first, or give this one its own DATA_DIR`,
      );
    await rm(file, { force: true });
  }
  return {
    async release() {
      const owner = await readFile(file, 'utf8').catch(() => '');
      if (owner === String(process.pid)) await rm(file, { force: true });
    },
  };
}
