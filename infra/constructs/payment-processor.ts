import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ServiceFunction } from './service-function.ts';

export interface PaymentProcessorProps {
  alarmTopic: sns.ITopic;
  /** The payments service's functions: they get PAYMENT_PROCESSOR_URL. */
  consumers: ServiceFunction[];
}

/**
 * The mock payment processor, outside the platform's API as an external processor would be: its own function behind a
 * Lambda Function URL. Plus the payments alarms that the catalog cannot describe: failed payments and an open breaker.
 */
export class PaymentProcessor extends Construct {
  readonly url: lambda.FunctionUrl;
  readonly function: ServiceFunction;

  constructor(scope: Construct, id: string, props: PaymentProcessorProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Function', {
      service: 'payment-processor',
      entry: 'functions/payment-processor/handler.ts',
      description: 'Mock payment processor (Stripe-like stand-in for an external processor)',
      timeout: Duration.seconds(30),
      alarmTopic: props.alarmTopic,
    });
    // Its ledger lives in the container (it is a stand-in, not a store): one container, so one ledger.
    (this.function.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    // No AWS auth: the adapter speaks plain HTTPS as it would to a real processor; the mock holds no real money or cards.
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    for (const fn of props.consumers) fn.addEnvironment('PAYMENT_PROCESSOR_URL', this.url.url);

    const paymentsMetric = (metricName: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: 'Shop',
        metricName,
        dimensionsMap: { service: 'shop-payments' },
        statistic: 'Sum',
        period,
      });
    const alarm = (alarmId: string, metric: cloudwatch.Metric, threshold: number, description: string) =>
      metric
        .createAlarm(this, alarmId, {
          alarmDescription: `${description} (runbook: docs/runbooks/payments.md)`,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        })
        .addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    alarm(
      'FailedPaymentsAlarm',
      paymentsMetric('PaymentFailed', Duration.minutes(5)),
      10,
      'payments: 10 or more declined/failed payments in 5 minutes',
    );
    alarm(
      'BreakerOpenAlarm',
      paymentsMetric('PaymentProcessorBreakerOpened', Duration.minutes(1)),
      1,
      'payments: the payment processor circuit breaker opened (the processor is failing or down)',
    );
  }
}
