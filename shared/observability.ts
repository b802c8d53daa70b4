import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { config } from './config.ts';

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
export const metricsEnabled = (): boolean => config().POWERTOOLS_METRICS_DISABLED !== 'true';

/** Local sink for business metrics: the offline runtime serves them at /metrics in Prometheus text. */
type MetricListener = (name: string, unit: string, value: number, service: string) => void;
const listeners = new Set<MetricListener>();
export function onMetric(listener: MetricListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * A business metric of `service`. In Lambda, Powertools adds the function's service dimension itself; the service is
 * named here too because offline every service shares one process (and one POWERTOOLS_SERVICE_NAME).
 */
export function countMetric(service: string, name: string, value = 1, unit: MetricUnitValue = MetricUnit.Count): void {
  metrics.addMetric(name, unit, value);
  for (const listener of listeners) listener(name, unit, value, `shop-${service}`);
}

/** Local sink for gauges (a value that is, not a count of what happened): the offline /metrics serves them too. */
type GaugeListener = (name: string, value: number, service: string) => void;
const gaugeListeners = new Set<GaugeListener>();
export function onGauge(listener: GaugeListener): () => void {
  gaugeListeners.add(listener);
  return () => gaugeListeners.delete(listener);
}

/** A gauge of `service`, e.g. a circuit breaker's state; in Lambda an EMF metric like the others. */
export function gaugeMetric(service: string, name: string, value: number): void {
  metrics.addMetric(name, MetricUnit.NoUnit, value);
  for (const listener of gaugeListeners) listener(name, value, `shop-${service}`);
}
