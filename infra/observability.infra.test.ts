import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { services } from '../functions/catalog.ts';
import { orderSagaName } from './saga-definition.ts';
import { DASHBOARD_METRICS } from './stacks/observability-stack.ts';
import { synthForTest } from './synth.ts';

const aws = synthForTest();
const observability = aws.resources(aws.observability);
const api = aws.resources(aws.api);
const [, dashboard] = Object.entries(observability).find(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard')!;
// The body is a Fn::Join of JSON text and tokens (region, account): its text pieces, joined, read as plain JSON text.
const body = (dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[]).filter((p) => typeof p === 'string').join('');
const alarms = aws.all.filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
const functions = Object.entries(api).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName);

/** Every .ts source under a folder, tests excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('the platform dashboard', () => {
  it('shows API 4xx, 5xx and p99 for the stage', () => {
    for (const part of ['AWS/ApiGateway', '4XXError', '5XXError', 'Latency', 'p99', `shop-dev`]) expect(body).toContain(part);
  });

  it('shows each function’s errors and p99 duration, by its fixed name', () => {
    expect(functions.length).toBeGreaterThan(services.flatMap((s) => s.routes).length);
    for (const [id, fn] of functions) {
      expect(typeof fn.Properties.FunctionName, `${id} has a plain fixed name`).toBe('string');
      expect(body, id).toContain(`"FunctionName","${fn.Properties.FunctionName}"`);
    }
    expect(body).toContain('"AWS/Lambda","Errors"');
    expect(body).toContain('"AWS/Lambda","Duration"');
  });

  it('shows the saga executions started, succeeded and failed, NEEDS_ATTENTION, payments, the breaker and every DLQ', () => {
    for (const m of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed']) expect(body).toContain(m);
    expect(body).toContain(`stateMachine:${orderSagaName('dev')}`);
    for (const m of Object.values(DASHBOARD_METRICS))
      expect(body).toContain(`"Shop","${m.metricName}","service","shop-${m.service}"`);
    const dlqNames = Object.values(api)
      .filter((r) => r.Type === 'AWS::SQS::Queue' && String(r.Properties.QueueName).endsWith('-dlq'))
      .map((r) => r.Properties.QueueName as string);
    const subscriptions = services.flatMap((s) => s.subscriptions ?? []);
    expect(dlqNames).toHaveLength(subscriptions.length + 1);
    for (const name of dlqNames) expect(body).toContain(`"QueueName","${name}"`);
  });

  it('reads business metrics the services still emit (names checked against the code)', () => {
    const code = [...sources('functions'), ...sources('shared')].join('\n');
    for (const m of Object.values(DASHBOARD_METRICS)) {
      const direct = code.includes(`'${m.metricName}'`);
      // shared/resilience.ts names breaker metrics `${dependency}Breaker…`; payments wraps the processor as PaymentProcessor.
      const breaker =
        m.metricName.startsWith('PaymentProcessorBreaker') &&
        code.includes(`\${dependency}${m.metricName.replace('PaymentProcessor', '')}`) &&
        code.includes("dependency: 'PaymentProcessor'");
      expect(direct || breaker, m.metricName).toBe(true);
    }
  });

  it('imports nothing from the Api or Saga stacks (only the alarm topic)', () => {
    const imports = JSON.stringify(observability).match(/"Fn::ImportValue":"[^"]+"/g) ?? [];
    for (const i of imports) expect(i).toMatch(/Shop-dev-Messaging:/);
  });
});

describe('alarms', () => {
  it('every alarm notifies the alarm topic', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const [key, a] of alarms) {
      expect(a.Properties.AlarmActions?.length, key).toBeGreaterThan(0);
      expect(JSON.stringify(a.Properties.AlarmActions), key).toMatch(/Alarms|alarmTopic|Topic/i);
    }
  });

  it('has an errors alarm and a duration-near-timeout alarm for every function', () => {
    const errors = alarms.filter(([, a]) => a.Properties.MetricName === 'Errors' && a.Properties.Namespace === 'AWS/Lambda');
    const durations = alarms.filter(([, a]) => a.Properties.MetricName === 'Duration' && a.Properties.Namespace === 'AWS/Lambda');
    for (const [id, fn] of functions) {
      const name = fn.Properties.FunctionName as string;
      // By its fixed name (Observability stack) or by reference (a construct that alarms on its own function).
      expect(
        errors.some(([, a]) => [`"${id}"`, `"${name}"`].some((v) => JSON.stringify(a.Properties.Dimensions).includes(v))),
        `${id}: errors alarm`,
      ).toBe(true);
      const duration = durations.find(([, a]) => a.Properties.Dimensions[0].Value === name);
      expect(duration, `${name}: duration alarm`).toBeDefined();
      expect(duration![1].Properties.Threshold).toBe(Math.round(fn.Properties.Timeout * 1000 * 0.8));
    }
  });

  it('watches the API: 4xx rate, p99 latency, 5xx', () => {
    const api4xx = alarms.find(([, a]) => a.Properties.MetricName === '4XXError');
    const apiP99 = alarms.find(([, a]) => a.Properties.MetricName === 'Latency' && a.Properties.ExtendedStatistic === 'p99');
    const api5xx = alarms.find(([, a]) => a.Properties.MetricName === '5XXError');
    expect([api4xx, apiP99, api5xx].every(Boolean)).toBe(true);
  });
});
