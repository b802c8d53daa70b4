import type { TestProject } from 'vitest/node';
import { type OfflineProcess, startOfflineProcess } from './offline-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    runtimeEnv: Record<string, string>;
  }
}

/** End-to-end tests talk to the platform the way a developer's `npm start` runs it: a separate process, over HTTP. */
export default async function setup(project: TestProject) {
  // Containers re-read the signing key every 2 s instead of 5 min, so the key rotation test need not wait.
  const offline: OfflineProcess = await startOfflineProcess({ SIGNING_KEY_REFRESH_SECONDS: '2' });
  project.provide('apiUrl', offline.url);
  project.provide('runtimeEnv', offline.env);
  return async () => {
    await offline.stop();
  };
}
