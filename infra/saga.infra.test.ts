import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { services } from '../functions/catalog.ts';
import { cfnLintErrors } from './cfn-lint.ts';
import { settingsFrom } from './config.ts';
import { applyNagSuppressions } from './nag.ts';
import { catalogSagaTasks, ORDER_SAGA_FILE, orderSagaName, readOrderSaga, taskPlaceholders } from './saga-definition.ts';
import { NEEDS_ATTENTION_METRIC, orderSagaStarterPolicy, SagaStack } from './stacks/saga-stack.ts';

// The saga stack on its own, over one stand-in function per catalog saga task: what it deploys must be the ASL file
// with every placeholder bound to the function the catalog names for that state.
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const settings = settingsFrom(app);
const tasksStack = new Stack(app, 'Tasks');
const declared = catalogSagaTasks(services);
const functions = new Map(
  [...declared].map(([state, t]) => [
    state,
    new lambda.Function(tasksStack, `Fn${state}`, {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      description: `${t.service}: saga task ${state}`,
    }),
  ]),
);
const saga = new SagaStack(app, 'Saga', {
  settings,
  sagaTasks: functions,
  alarmTopic: new sns.Topic(tasksStack, 'Alarms', { enforceSSL: true }),
});
for (const stack of [tasksStack, saga]) applyNagSuppressions(stack);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const assembly = app.synth();
const template = Template.fromStack(saga);
const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));

describe('order saga stack', () => {
  it('deploys the ASL file as it is: a Standard workflow named for the stage', () => {
    expect(machine!.Properties.StateMachineType).toBe('STANDARD');
    expect(machine!.Properties.StateMachineName).toBe(orderSagaName(settings.stage));
    expect(JSON.parse(machine!.Properties.DefinitionString)).toEqual(JSON.parse(readFileSync(ORDER_SAGA_FILE, 'utf8')));
  });

  it('substitutes every task Resource with the function the catalog declares for that state, and no other', () => {
    const placeholders = [...taskPlaceholders(readOrderSaga()).values()].sort();
    expect(placeholders).toEqual([...declared.keys()].sort());
    const substitutions = machine!.Properties.DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);
    for (const [state, value] of Object.entries(substitutions))
      expect(JSON.stringify(value), state).toContain(tasksStack.getLogicalId(functions.get(state)!.node.defaultChild as never));
  });

  it('logs every event, without the execution data that carries the payment token, and traces with X-Ray', () => {
    expect(machine!.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(machine!.Properties.TracingConfiguration).toEqual({ Enabled: true });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/vendedlogs/states/${orderSagaName(settings.stage)}`,
    });
  });

  it('may invoke exactly the task functions', () => {
    const invoke = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    const text = JSON.stringify(invoke);
    for (const fn of functions.values()) expect(text).toContain(tasksStack.getLogicalId(fn.node.defaultChild as never));
  });

  it('alarms on failed, timed-out or aborted executions and on the NEEDS_ATTENTION metric', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]),
      Threshold: 1,
      AlarmActions: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: NEEDS_ATTENTION_METRIC.namespace,
      MetricName: NEEDS_ATTENTION_METRIC.metricName,
      Dimensions: [{ Name: 'service', Value: NEEDS_ATTENTION_METRIC.service }],
      Threshold: 1,
      AlarmActions: Match.anyValue(),
    });
  });

  it('outputs the Step Functions console URL of the state machine', () => {
    const outputs = template.findOutputs('OrderSagaConsoleUrl');
    expect(JSON.stringify(outputs)).toMatch(/console\.aws\.amazon\.com\/states\/home\?region=.*#\/statemachines\/view\//);
  });

  it('lets the saga starters start executions of this machine and describe its executions, nothing more', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '1', region: 'eu-west-1' } });
    const statements = orderSagaStarterPolicy(stack, 'dev');
    expect(statements.map((s) => s.actions)).toEqual([['states:StartExecution'], ['states:DescribeExecution']]);
    const resources = statements.map((s) => JSON.stringify(stack.resolve(s.resources)));
    expect(resources[0]).toContain(':states:eu-west-1:1:stateMachine:shop-dev-order-saga"');
    expect(resources[1]).toContain(':states:eu-west-1:1:execution:shop-dev-order-saga:*"');
  });

  it('passes cdk-nag AwsSolutions (the state machine, its log group, role and alarms)', () => {
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{
        pluginName: string;
        violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
      }>;
    };
    const open = report.pluginReports
      .flatMap((r) => r.violations)
      .filter((v) => !v.ruleName.startsWith('Annotation'))
      .flatMap((v) =>
        v.violatingConstructs
          .filter((c) => c.constructPath.startsWith('Saga/'))
          .map((c) => `${v.ruleName} at ${c.constructPath}`),
      );
    expect(open).toEqual([]);
  });

  it('passes cfn-lint', () => {
    expect(cfnLintErrors({ saga: template.toJSON() })).toBe('');
  });
});
