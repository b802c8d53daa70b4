import { readFileSync } from 'node:fs';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import type { DeploySettings } from '../config.ts';
import { ORDER_SAGA_FILE, orderSagaName, readOrderSaga, taskPlaceholders } from '../saga-definition.ts';

/** The business metric orders emits when a saga leaves an order NEEDS_ATTENTION (countMetric, EMF namespace Shop). */
export const NEEDS_ATTENTION_METRIC = { namespace: 'Shop', metricName: 'OrderNeedsAttention', service: 'shop-orders' };

/** The order saga's ARN, built from its fixed name: the orders functions get it without a reference to this stack. */
export function orderSagaArn(scope: Construct, stage: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: orderSagaName(stage),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** What the orders functions may do with the saga: start it (execution name = order id) and read an execution's status. */
export function orderSagaStarterPolicy(scope: Construct, stage: string) {
  const executions = Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${orderSagaName(stage)}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  return [
    { actions: ['states:StartExecution'], resources: [orderSagaArn(scope, stage)] },
    { actions: ['states:DescribeExecution'], resources: [executions] },
  ];
}

/** Lets a function start the order saga and read its executions (each execution's ARN ends with the order id). */
export function grantStartOrderSaga(fn: iam.IGrantable & IConstruct, stage: string): void {
  for (const statement of orderSagaStarterPolicy(fn, stage))
    fn.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement(statement));
  // cdk-nag names the resource as synthesized: `cdk synth` with a region or account in the environment resolves them.
  const stack = Stack.of(fn);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  Validations.of(fn).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${orderSagaName(stage)}:*]`,
    reason: 'DescribeExecution on the order saga executions only: their names are order ids, unknown when the policy is written.',
  });
}

export interface SagaStackProps extends StackProps {
  settings: DeploySettings;
  /** The catalog's saga task functions by state name (ApiStack.sagaTasks). */
  sagaTasks: Map<string, lambda.IFunction>;
  alarmTopic: sns.ITopic;
}

/**
 * The order saga as a Standard workflow: the ASL file with each `${Task}` Resource substituted by the catalog's
 * function, every event logged (ALL, with data), X-Ray traced, alarmed on failed executions and NEEDS_ATTENTION.
 */
export class SagaStack extends Stack {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: SagaStackProps) {
    super(scope, id, props);
    const name = orderSagaName(props.settings.stage);
    const substitutions: Record<string, string> = {};
    const invoked: lambda.IFunction[] = [];
    for (const [state, placeholder] of taskPlaceholders(readOrderSaga())) {
      const fn = placeholder ? props.sagaTasks.get(placeholder) : undefined;
      if (!fn) throw new Error(`Saga state ${state} names \${${placeholder}}, which no catalog service declares as a saga task`);
      substitutions[placeholder!] = fn.functionArn;
      invoked.push(fn);
    }

    const logGroup = new logs.LogGroup(this, 'OrderSagaLogs', {
      // Step Functions delivers through CloudWatch vended logs; this prefix keeps the resource policy small.
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'OrderSaga', {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      // Inline (not an S3 asset): the template shows the exact definition, and the infra test compares it with the file.
      definitionBody: sfn.DefinitionBody.fromString(readFileSync(ORDER_SAGA_FILE, 'utf8')),
      definitionSubstitutions: substitutions,
      // Every event (ALL), but without inputs and outputs: the execution input carries the payment-method token, which
      // must not reach a log group; operators see the data in the execution's history in the console (IAM-gated).
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      comment: 'Order saga: reserve, charge, commit, confirm; compensations in reverse',
    });
    // The unqualified ARNs the definition names, and nothing else (grantInvoke would add every version, `:*`).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked.map((fn) => fn.functionArn) }),
    );

    const alarm = (id: string, metric: cloudwatch.Metric | cloudwatch.MathExpression, description: string) =>
      metric
        .createAlarm(this, id, {
          alarmDescription: description,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        })
        .addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    const period = Duration.minutes(1);
    alarm(
      'OrderSagaFailedExecutions',
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        label: 'Order saga executions that did not succeed',
        period,
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ period, statistic: 'Sum' }),
          timedOut: this.stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
          aborted: this.stateMachine.metricAborted({ period, statistic: 'Sum' }),
        },
      }),
      'Order saga executions failed, timed out or were aborted (compensated orders succeed; these need a look)',
    );
    alarm(
      'OrderNeedsAttention',
      new cloudwatch.Metric({
        namespace: NEEDS_ATTENTION_METRIC.namespace,
        metricName: NEEDS_ATTENTION_METRIC.metricName,
        dimensionsMap: { service: NEEDS_ATTENTION_METRIC.service },
        statistic: 'Sum',
        period,
      }),
      'An order is NEEDS_ATTENTION: a saga compensation failed after its retries, or the reconciler gave up',
    );

    new CfnOutput(this, 'OrderSagaConsoleUrl', {
      description: 'The order saga in the Step Functions console',
      value: `https://${this.region}.console.aws.amazon.com/states/home?region=${this.region}#/statemachines/view/${this.stateMachine.stateMachineArn}`,
    });
    new CfnOutput(this, 'OrderSagaArn', { value: this.stateMachine.stateMachineArn });
  }
}
