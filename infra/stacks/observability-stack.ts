import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { DeploySettings } from '../config.ts';

/**
 * Business metrics the dashboard reads, as the services emit them (EMF, namespace Shop, dimension service=shop-<name>;
 * shared/observability.ts). infra/observability.infra.test.ts checks each name is still emitted by the code.
 */
export const DASHBOARD_METRICS = {
  needsAttention: { service: 'orders', metricName: 'OrderNeedsAttention' },
  ordersPlaced: { service: 'orders', metricName: 'OrderPlaced' },
  ordersConfirmed: { service: 'orders', metricName: 'OrderConfirmed' },
  ordersCancelled: { service: 'orders', metricName: 'OrderCancelled' },
  paymentsCaptured: { service: 'payments', metricName: 'PaymentCaptured' },
  paymentsFailed: { service: 'payments', metricName: 'PaymentFailed' },
  processorUnavailable: { service: 'payments', metricName: 'PaymentProcessorUnavailable' },
  /** shared/resilience.ts: `${dependency}BreakerState`, cockatiel's CircuitState (0 closed, 1 open, 2 half-open, 3 isolated). */
  breakerState: { service: 'payments', metricName: 'PaymentProcessorBreakerState' },
  breakerOpened: { service: 'payments', metricName: 'PaymentProcessorBreakerOpened' },
} as const;

/** A function as the dashboard knows it: by its fixed name, never by a reference into the Api stack. */
export interface ObservedFunction {
  service: string;
  name: string;
  /** Its construct id, for labels and alarm ids. */
  label: string;
  timeout: Duration;
  /** It has an errors alarm of its own (e.g. the payment processor); the others get one here. */
  hasErrorsAlarm?: boolean;
}

export interface ObservabilityStackProps extends StackProps {
  settings: DeploySettings;
  /** The REST API's name and stage (fixed names). */
  apiName: string;
  functions: ObservedFunction[];
  /** DLQ names by the async path each backs (`<service>.<subscription>`, `event-delivery`). */
  dlqs: Map<string, string>;
  sagaStateMachineName: string;
  alarmTopic: sns.ITopic;
}

const PERIOD = Duration.minutes(5);

/**
 * The platform's CloudWatch dashboard and the alarms no other stack owns. Everything is named, not referenced: the
 * API, functions, queues and state machine have fixed names, so this stack imports nothing from the Api and Saga
 * stacks and never blocks their updates (a removed function just leaves its row), and the Api stack stays well below
 * CloudFormation's 500 resources.
 * Widgets: API traffic, 4xx, 5xx, p50/p99; order saga executions started/succeeded/failed/timed out/aborted;
 * NEEDS_ATTENTION; orders; payments captured/failed, processor unavailable, breaker state; every DLQ's depth; each
 * function's errors and p99 duration, a row per service.
 * Alarms here: API 4xx rate, API p99 latency, each function's errors and its p99 duration near its timeout. Elsewhere:
 * API 5xx and the DLQs (Api stack), failed executions and NEEDS_ATTENTION (Saga stack), failed payments and
 * an open breaker (the payment processor construct).
 */
export class ObservabilityStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const alarm = (alarmId: string, metric: cloudwatch.Metric, description: string, threshold: number, evaluationPeriods = 3) => {
      // Without the graph's label: a labelled metric becomes a metric-math alarm.
      const plain = new cloudwatch.Metric({
        namespace: metric.namespace,
        metricName: metric.metricName,
        dimensionsMap: metric.dimensions as Record<string, string>,
        statistic: metric.statistic,
        period: metric.period,
      });
      const created = plain.createAlarm(this, alarmId, {
        alarmDescription: description,
        threshold,
        evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      this.alarms.push(created);
      return created;
    };
    const metric = (
      namespace: string,
      metricName: string,
      dimensionsMap: Record<string, string>,
      statistic: string,
      label?: string,
    ) => new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic, period: PERIOD, label: label ?? metricName });
    const business = (m: { service: string; metricName: string }, statistic = 'Sum', label?: string) =>
      metric('Shop', m.metricName, { service: `shop-${m.service}` }, statistic, label);

    const apiDims = { ApiName: props.apiName, Stage: settings.stage };
    const api = (name: string, statistic: string, label: string) => metric('AWS/ApiGateway', name, apiDims, statistic, label);
    const p99 = api('Latency', 'p99', 'latency p99');
    // The 4XXError average is the share of requests answered 4xx.
    alarm(
      'Api4xxRate',
      api('4XXError', 'Average', '4xx rate'),
      'API: over 25% of requests answered 4xx for 15 minutes (a broken client, credential stuffing, or the authorizer failing)',
      0.25,
    );
    alarm(
      'ApiLatencyP99',
      p99,
      'API: p99 latency above 3 s for 15 minutes (a slow database, a cold-start storm, a slow dependency)',
      3000,
    );

    const fnMetric = (fn: ObservedFunction, name: 'Errors' | 'Duration', statistic: string) =>
      metric('AWS/Lambda', name, { FunctionName: fn.name }, statistic, fn.label);
    for (const fn of props.functions) {
      if (!fn.hasErrorsAlarm)
        alarm(
          `Errors-${fn.label}`,
          fnMetric(fn, 'Errors', 'Sum'),
          `${fn.name}: failed invocations (an uncaught error, a timeout, out of memory); see its log group`,
          1,
          1,
        );
      const timeoutMs = fn.timeout.toMilliseconds();
      alarm(
        `DurationNearTimeout-${fn.label}`,
        fnMetric(fn, 'Duration', 'p99'),
        `${fn.name}: p99 duration above 80% of its ${timeoutMs / 1000} s timeout for 15 minutes (timeouts follow; they count as errors)`,
        Math.round(timeoutMs * 0.8),
      );
    }

    const sagaArn = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.sagaStateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const saga = (name: string) =>
      metric('AWS/States', `Executions${name}`, { StateMachineArn: sagaArn }, 'Sum', name.toLowerCase());
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8, right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6, period: PERIOD });
    const byService = new Map<string, ObservedFunction[]>();
    for (const fn of props.functions) byService.set(fn.service, [...(byService.get(fn.service) ?? []), fn]);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `shop-${settings.stage}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# Shop ${settings.stage}\nAPI, order saga, payments, queues, functions. Every alarm goes to the alarm topic; README "Operating" says what each means.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('API requests, 4xx, 5xx', [api('Count', 'Sum', 'requests')], 8, [
            api('4XXError', 'Sum', '4xx'),
            api('5XXError', 'Sum', '5xx'),
          ]),
          graph('API latency (ms)', [api('Latency', 'p50', 'latency p50'), p99]),
          new cloudwatch.AlarmStatusWidget({ title: 'API alarms', alarms: this.alarms.slice(0, 2), width: 8, height: 6 }),
        ],
        [
          graph('Order saga executions', [saga('Started'), saga('Succeeded')], 8, [
            saga('Failed'),
            saga('TimedOut'),
            saga('Aborted'),
          ]),
          graph('Orders', [
            business(DASHBOARD_METRICS.ordersPlaced),
            business(DASHBOARD_METRICS.ordersConfirmed),
            business(DASHBOARD_METRICS.ordersCancelled),
          ]),
          new cloudwatch.SingleValueWidget({
            title: 'Orders NEEDS_ATTENTION (last 3 h)',
            metrics: [business(DASHBOARD_METRICS.needsAttention).with({ period: Duration.hours(3) })],
            width: 8,
            height: 6,
          }),
        ],
        [
          graph('Payments', [business(DASHBOARD_METRICS.paymentsCaptured)], 8, [
            business(DASHBOARD_METRICS.paymentsFailed),
            business(DASHBOARD_METRICS.processorUnavailable),
          ]),
          graph(
            'Payment processor breaker (0 closed, 1 open, 2 half-open)',
            [business(DASHBOARD_METRICS.breakerState, 'Maximum', 'breaker state (max)')],
            8,
            [business(DASHBOARD_METRICS.breakerOpened)],
          ),
          graph(
            'Dead-letter queue depths',
            [...props.dlqs].map(([label, queueName]) =>
              metric('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: queueName }, 'Maximum', label),
            ),
          ),
        ],
        ...[...byService].map(([service, fns]) => [
          graph(
            `${service}: errors`,
            fns.map((fn) => fnMetric(fn, 'Errors', 'Sum')),
            12,
          ),
          graph(
            `${service}: duration p99 (ms)`,
            fns.map((fn) => fnMetric(fn, 'Duration', 'p99')),
            12,
          ),
        ]),
      ],
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The platform dashboard in the CloudWatch console',
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/shop-${settings.stage}`,
    });
  }
}
