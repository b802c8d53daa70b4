/**
 * Powertools settings for running offline: one service name, no X-Ray, metrics to /metrics rather than EMF on stdout.
 * Powertools reads them when its logger/tracer/metrics are constructed (at import), so entry points import this module
 * first; the runtime applies the same values to the environment it gives the services.
 */
export function localPowertoolsEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: 'shop-offline',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: env.LOG_LEVEL ?? 'WARN',
  };
}

for (const [key, value] of Object.entries(localPowertoolsEnv())) process.env[key] ??= value;
