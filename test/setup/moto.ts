import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../../infra/offline/engines/index.ts';
import { freePort, waitForPort } from '../../infra/offline/engines/ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    motoUrl: string;
  }
}

/** moto_server: a real AWS API peer (EventBridge, SQS, Step Functions) for the adapters' contract tests. */
export default async function setup(project: TestProject) {
  const bin = join(repoRoot, '.tools', 'venv', 'bin', 'moto_server');
  if (!existsSync(bin)) throw new Error('moto_server is missing: run `node scripts/setup.mjs --test`');
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await waitForPort(port, 30_000, () => !exited);
  project.provide('motoUrl', `http://127.0.0.1:${port}`);
  return async () => {
    if (exited) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await done;
  };
}
