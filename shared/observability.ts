import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export { MetricUnit };

type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * One logger, tracer and metrics instance per container. Service name comes from
 * POWERTOOLS_SERVICE_NAME (set per function by CDK and by the offline runtime).
 */
export const logger = new Logger();
export const tracer = new Tracer();
export const metrics = new Metrics({ namespace: 'Shop' });

/** EMF output is for CloudWatch; offline, metrics go to /metrics instead (POWERTOOLS_METRICS_DISABLED=true). */
export const metricsEnabled = (): boolean => process.env.POWERTOOLS_METRICS_DISABLED !== 'true';

/** Local sink for business metrics: the offline runtime serves them at /metrics in Prometheus text. */
type MetricListener = (name: string, unit: string, value: number, service: string) => void;
const listeners = new Set<MetricListener>();
export function onMetric(listener: MetricListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function countMetric(name: string, value = 1, unit: MetricUnitValue = MetricUnit.Count): void {
  metrics.addMetric(name, unit, value);
  const service = process.env.POWERTOOLS_SERVICE_NAME ?? 'unknown';
  for (const listener of listeners) listener(name, unit, value, service);
}
