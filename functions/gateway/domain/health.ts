/** A dependency check: resolves with a short detail, rejects when the dependency is down. */
export interface Probe {
  name: string;
  check(): Promise<string>;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checkedAt: string;
  checks: Array<{ name: string; ok: boolean; detail: string; latencyMs: number }>;
}

/** Runs every probe in parallel, each bounded by `timeoutMs`; one failing probe degrades the whole. */
export async function checkHealth(probes: Probe[], timeoutMs = 2_000, now = () => new Date()): Promise<HealthReport> {
  const checks = await Promise.all(
    probes.map(async (probe) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const detail = await Promise.race([
          probe.check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { name: probe.name, ok: true, detail, latencyMs: Math.round(performance.now() - started) };
      } catch (error) {
        return {
          name: probe.name,
          ok: false,
          detail: (error as Error).message,
          latencyMs: Math.round(performance.now() - started),
        };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { status: checks.every((c) => c.ok) ? 'ok' : 'degraded', checkedAt: now().toISOString(), checks };
}
