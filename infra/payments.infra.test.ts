import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';

// Bundling is skipped: these tests are about the template.
const api = Template.fromStack(buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } })).api);
const functions = Object.entries(api.findResources('AWS::Lambda::Function'));

describe('payments in the template', () => {
  it('runs the mock processor as its own function behind a Function URL, in one container (its ledger lives there)', () => {
    const [processorId, processor] = functions.find(([, f]) =>
      String(f.Properties.Description).startsWith('Mock payment processor'),
    )!;
    expect(processor.Properties.ReservedConcurrentExecutions).toBe(1);
    api.hasResourceProperties('AWS::Lambda::Url', { TargetFunctionArn: { 'Fn::GetAtt': [processorId, 'Arn'] } });
  });

  it("gives every payments route, task and schedule the processor's URL, and no other function", () => {
    for (const [, fn] of functions) {
      const env = fn.Properties.Environment?.Variables ?? {};
      const description = String(fn.Properties.Description);
      const isPayments = env.POWERTOOLS_SERVICE_NAME === 'shop-payments' && !description.includes('migrations');
      expect(Boolean(env.PAYMENT_PROCESSOR_URL), description).toBe(isPayments);
    }
  });

  it('alarms on failed payments and on an open circuit breaker', () => {
    for (const metric of ['PaymentFailed', 'PaymentProcessorBreakerOpened'])
      api.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Shop',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'shop-payments' }],
        AlarmActions: Match.anyValue(),
      });
  });
});
