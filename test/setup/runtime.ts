import type { TestProject } from 'vitest/node';
import { type OfflineProcess, startOfflineProcess } from './offline-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    runtimeEnv: Record<string, string>;
    /** The runtime's captured stdout/stderr (test/setup/offline-process.ts); the card-data test searches it. */
    runtimeLogFile: string;
  }
}

/** End-to-end tests talk to the platform the way a developer's `npm start` runs it: a separate process, over HTTP. */
export default async function setup(project: TestProject) {
  // Containers re-read the signing key every 2 s instead of 5 min, so the key rotation test need not wait. Logs at DEBUG
  // (AWS runs INFO): the card-data test searches everything the functions could log.
  const offline: OfflineProcess = await startOfflineProcess({ SIGNING_KEY_REFRESH_SECONDS: '2', LOG_LEVEL: 'DEBUG' });
  project.provide('apiUrl', offline.url);
  project.provide('runtimeEnv', offline.env);
  project.provide('runtimeLogFile', offline.logFile);
  return async () => {
    await offline.stop();
  };
}
