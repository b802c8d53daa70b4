/** Times are ISO-8601 UTC strings everywhere they leave a process. */
export const nowIso = (): string => new Date().toISOString();
