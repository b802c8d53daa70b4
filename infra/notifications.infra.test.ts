import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import notifications from '../functions/notifications/service.ts';
import { SUBSCRIPTION_MAX_RECEIVES } from '../shared/service.ts';
import { buildApp } from './app.ts';

function synth(context: Record<string, unknown> = {}) {
  const built = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
  return { ...built, assembly: built.app.synth() };
}

const [subscription] = notifications.subscriptions!;
type Resources = Record<string, { Properties: Record<string, unknown> }>;
const consumerOf = (template: Template) => {
  const [id, fn] = Object.entries(template.findResources('AWS::Lambda::Function') as Resources).find(([, f]) =>
    String(f.Properties.Description).startsWith('notifications: consumes'),
  )!;
  return { id, fn };
};
const policiesOf = (template: Template, fnId: string) => {
  const fn = (template.findResources('AWS::Lambda::Function') as Resources)[fnId]!;
  const role = JSON.stringify(fn.Properties.Role);
  return Object.values(template.findResources('AWS::IAM::Policy') as Resources)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role.match(/"(\w+Role\w*)"/)![1]!))
    .flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement,
    );
};
const sendingActions = (statements: Array<{ Action: string | string[] }>) =>
  statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('ses:') || a.startsWith('sns:Publish'));

describe('notifications in the synthesized template', () => {
  const recording = synth();
  const api = Template.fromStack(recording.api);
  const { id: consumerId, fn: consumer } = consumerOf(api);

  it('routes its events by one rule into an encrypted queue whose DLQ takes a message after the receive limit, with a depth alarm', () => {
    api.hasResourceProperties('AWS::Events::Rule', {
      Description: 'notifications.events',
      EventPattern: { source: [{ prefix: 'shop.' }], 'detail-type': subscription!.events },
    });
    const queues = Object.entries(api.findResources('AWS::SQS::Queue') as Resources);
    const [, queue] = queues.find(([id]) => id.startsWith('Queuenotificationsevents'))!;
    const [dlqId] = queues.find(([id]) => id.startsWith('Dlqnotificationsevents'))!;
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { maxReceiveCount: SUBSCRIPTION_MAX_RECEIVES, deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
    });
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'notifications.events: messages in the dead-letter queue',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('drains the queue in batches of 10 within a bounded window, reporting partial batch failures', () => {
    api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: consumerId },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(consumer.Properties.Timeout).toBe(30);
  });

  it('by default sends nothing through AWS: no switch in the environment, no SES or SNS permission', () => {
    expect((consumer.Properties.Environment as { Variables: Record<string, unknown> }).Variables).not.toHaveProperty(
      'MESSAGING_PROVIDER',
    );
    expect(sendingActions(policiesOf(api, consumerId))).toEqual([]);
  });

  it('with -c messaging=aws, the consumer alone may send as the From identity (SES) and SMS (SNS), and cdk-nag passes', () => {
    const aws = synth({ messaging: 'aws', messagingEmailFrom: 'Shop <no-reply@shop.example>' });
    const template = Template.fromStack(aws.api);
    const { id, fn } = consumerOf(template);
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      MESSAGING_PROVIDER: 'aws',
      MESSAGING_EMAIL_FROM: 'Shop <no-reply@shop.example>',
    });
    const statements = policiesOf(template, id);
    expect(sendingActions(statements).sort()).toEqual(['ses:SendEmail', 'sns:Publish']);
    const ses = statements.find((s) => s.Action === 'ses:SendEmail')!;
    expect(JSON.stringify(ses.Resource)).toContain(':identity/no-reply@shop.example');
    expect(JSON.stringify(ses.Resource)).toContain(':identity/shop.example');
    const others = Object.entries(template.findResources('AWS::Lambda::Function') as Resources).filter(
      ([fnId, f]) => fnId !== id && String(f.Properties.Description).startsWith('notifications:'),
    );
    expect(others.length).toBeGreaterThan(0);
    for (const [otherId] of others) expect(sendingActions(policiesOf(template, otherId))).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Resource: '*' })]) },
    });
    const report = JSON.parse(readFileSync(join(aws.assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; conclusion: string }>;
    };
    expect(report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')?.conclusion).toBe('success');
  });

  it('refuses -c messaging=aws without a From address', () => {
    expect(() => synth({ messaging: 'aws' })).toThrow(/messagingEmailFrom/);
  });
});
