import { onGauge, onMetric } from '../../shared/observability.ts';
import type { GatewayMetrics } from './http-gateway.ts';

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** Request and business metrics of the offline runtime, served as Prometheus text at /metrics. */
export class PrometheusMetrics implements GatewayMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, { sum: number; count: number }>();
  private readonly business = new Map<string, number>();
  private readonly unsubscribe = onMetric((name, _unit, value, service) => {
    const key = `${name}|${service}`;
    this.business.set(key, (this.business.get(key) ?? 0) + value);
  });
  private readonly gauges = new Map<string, number>();
  private readonly unsubscribeGauges = onGauge((name, value, service) => this.gauges.set(`${name}|${service}`, value));

  record(route: string, status: number, ms: number): void {
    const key = `${route}|${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const l = this.latency.get(route) ?? { sum: 0, count: 0 };
    l.sum += ms / 1000;
    l.count++;
    this.latency.set(route, l);
  }

  render(): string {
    const lines = ['# HELP http_requests_total Requests through the offline gateway', '# TYPE http_requests_total counter'];
    for (const [key, n] of this.requests) {
      const [route, status] = key.split('|');
      lines.push(`http_requests_total{route="${label(route!)}",status="${status}"} ${n}`);
    }
    lines.push('# HELP http_request_duration_seconds Gateway request latency', '# TYPE http_request_duration_seconds summary');
    for (const [route, l] of this.latency) {
      lines.push(`http_request_duration_seconds_sum{route="${label(route)}"} ${l.sum.toFixed(6)}`);
      lines.push(`http_request_duration_seconds_count{route="${label(route)}"} ${l.count}`);
    }
    lines.push(
      '# HELP shop_business_events_total Business metrics the services emit',
      '# TYPE shop_business_events_total counter',
    );
    for (const [key, n] of this.business) {
      const [name, service] = key.split('|');
      lines.push(`shop_business_events_total{metric="${label(name!)}",service="${label(service!)}"} ${n}`);
    }
    lines.push('# HELP shop_gauge Current values the services report (e.g. a circuit breaker state)', '# TYPE shop_gauge gauge');
    for (const [key, n] of this.gauges) {
      const [name, service] = key.split('|');
      lines.push(`shop_gauge{metric="${label(name!)}",service="${label(service!)}"} ${n}`);
    }
    return `${lines.join('\n')}\n`;
  }

  close(): void {
    this.unsubscribe();
    this.unsubscribeGauges();
  }
}
