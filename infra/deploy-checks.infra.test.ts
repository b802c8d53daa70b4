import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { describe, expect, it } from 'vitest';
import { services } from '../functions/catalog.ts';
import { functionId } from '../shared/service.ts';
import { type CfnResource, synthForTest } from './synth.ts';

// Checks that hold for every resource, whoever adds it: they run on the synthesized templates of the aws target.
const aws = synthForTest();
const byType = (type: string) => aws.all.filter(([, r]) => r.Type === type);
const logicalId = (ref: unknown): string | undefined => {
  const r = ref as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return r?.Ref ?? r?.['Fn::GetAtt']?.[0];
};
const stackOf = (key: string) => key.split('/')[0]!;
const find = (stack: string, id: string | undefined) =>
  aws.all.find(([key]) => key === `${stack}/${id}`)?.[1] as CfnResource | undefined;

/** Alarms on a queue's visible messages that notify someone. */
function queueAlarms(stack: string, queueId: string): CfnResource[] {
  return byType('AWS::CloudWatch::Alarm')
    .filter(([key]) => stackOf(key) === stack)
    .map(([, r]) => r)
    .filter(
      (a) =>
        a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        (a.Properties.Dimensions ?? []).some(
          (d: { Name: string; Value: unknown }) => d.Name === 'QueueName' && logicalId(d.Value) === queueId,
        ) &&
        (a.Properties.AlarmActions ?? []).length > 0,
    );
}

describe('every async path has a dead-letter queue with an alarm', () => {
  it('gives every EventBridge rule target a DLQ that is alarmed', () => {
    const rules = byType('AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const [key, rule] of rules) {
      for (const target of rule.Properties.Targets ?? []) {
        const dlq = logicalId(target.DeadLetterConfig?.Arn);
        expect(dlq, `${key} → ${target.Id} has a DeadLetterConfig`).toBeDefined();
        expect(queueAlarms(stackOf(key), dlq!).length, `${key}: alarm on ${dlq}`).toBeGreaterThan(0);
      }
    }
  });

  it('gives every queue a function drains a redrive policy into an alarmed DLQ', () => {
    const mappings = byType('AWS::Lambda::EventSourceMapping');
    for (const [key, mapping] of mappings) {
      const stack = stackOf(key);
      const queueId = logicalId(mapping.Properties.EventSourceArn)!;
      const queue = find(stack, queueId);
      expect(queue?.Type, key).toBe('AWS::SQS::Queue');
      const dlq = logicalId(queue!.Properties.RedrivePolicy?.deadLetterTargetArn);
      expect(dlq, `${queueId} redrives to a DLQ`).toBeDefined();
      expect(queueAlarms(stack, dlq!).length, `alarm on ${dlq}`).toBeGreaterThan(0);
      expect(mapping.Properties.FunctionResponseTypes, key).toEqual(['ReportBatchItemFailures']);
    }
  });

  it('alarms on every queue that is a DLQ', () => {
    for (const [key, queue] of byType('AWS::SQS::Queue')) {
      const dlq = logicalId(queue.Properties.RedrivePolicy?.deadLetterTargetArn);
      if (dlq) expect(queueAlarms(stackOf(key), dlq).length, `alarm on ${dlq}`).toBeGreaterThan(0);
    }
  });
});

describe('every function', () => {
  const functions = byType('AWS::Lambda::Function');

  // CDK's own deploy-time custom-resource provider (the Triggers' invoker): its code and settings belong to CDK.
  const cdkProviders = functions.filter(([key]) => /CustomResourceProvider/.test(key));
  const ours = functions.filter(([key]) => !/CustomResourceProvider/.test(key));

  it('runs Node.js 24 on arm64', () => {
    expect(ours.length).toBeGreaterThan(0);
    for (const [key, fn] of cdkProviders) expect(fn.Properties.Runtime, key).toMatch(/^nodejs/);
    for (const [key, fn] of ours) {
      expect(fn.Properties.Runtime, key).toBe('nodejs24.x');
      expect(fn.Properties.Architectures, key).toEqual(['arm64']);
    }
  });

  const nodejsFunctions = aws.stacks.flatMap(
    (s) => s.node.findAll().filter((c) => c instanceof nodejs.NodejsFunction) as nodejs.NodejsFunction[],
  );
  /** The options CDK bundles a NodejsFunction with (kept on its asset's staging, also when bundling is skipped). */
  const bundlingOf = (fn: lambda.Function) =>
    (
      fn.node.findChild('Code').node.findChild('Stage') as unknown as {
        fingerprintOptions: { bundling: { props: Record<string, unknown>; local?: { tryBundle(out: string): boolean } } };
      }
    ).fingerprintOptions.bundling;

  it('is built from this repository by esbuild, as a minified ESM bundle with source maps', () => {
    const all = aws.stacks.flatMap((s) => s.node.findAll().filter((c) => c instanceof lambda.Function));
    expect(nodejsFunctions.length, 'every lambda.Function is a NodejsFunction').toBe(all.length);
    expect(nodejsFunctions.length).toBe(ours.length);
    for (const fn of nodejsFunctions) {
      const props = bundlingOf(fn).props;
      // keepNames: error names (new.target.name) are what the order saga's Catch and Retry match.
      expect({
        path: fn.node.path,
        format: props.format,
        minify: props.minify,
        keepNames: props.keepNames,
        sourceMap: props.sourceMap,
      }).toEqual({
        path: fn.node.path,
        format: 'esm',
        minify: true,
        keepNames: true,
        sourceMap: true,
      });
    }
  });

  it('bundles for real as CDK would (one function): a minified ES module', () => {
    const docs = nodejsFunctions.find((fn) => fn.node.id === `Fn-${functionId('gateway', 'handlers/health')}`)!;
    const out = mkdtempSync(join(tmpdir(), 'bundle-'));
    try {
      expect(bundlingOf(docs).local!.tryBundle(out)).toBe(true);
      const code = readFileSync(join(out, 'index.mjs'), 'utf8');
      expect(code.startsWith('import')).toBe(true);
      expect(code).toMatch(/export\s*\{/);
      // Minified: long lines (only template literals keep their newlines); unminified, this bundle averages ~40 characters.
      expect(code.length / code.split('\n').length).toBeGreaterThan(500);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('least privilege on data stores', () => {
  const dataActions = /^(dynamodb|rds|rds-db|rds-data|docdb-elastic|s3|secretsmanager|sqs|kms|ssm):/;
  it('grants no data-store action on a `*` resource or a wildcard ARN', () => {
    const statements = aws.all.flatMap(([key, r]) => {
      if (r.Type === 'AWS::IAM::Policy') return r.Properties.PolicyDocument.Statement.map((s: unknown) => [key, s]);
      if (r.Type === 'AWS::IAM::Role')
        return (r.Properties.Policies ?? []).flatMap((p: { PolicyDocument: { Statement: unknown[] } }) =>
          p.PolicyDocument.Statement.map((s) => [key, s]),
        );
      return [];
    }) as Array<[string, { Action: string | string[]; Resource: unknown; Effect: string }]>;
    expect(statements.length).toBeGreaterThan(0);
    for (const [key, st] of statements) {
      if (st.Effect !== 'Allow') continue;
      const actions = [st.Action].flat();
      if (!actions.some((a) => dataActions.test(a))) continue;
      for (const resource of [st.Resource].flat()) {
        const text = JSON.stringify(resource);
        expect(text, `${key}: ${actions.join(',')}`).not.toBe('"*"');
        expect(text, `${key}: ${actions.join(',')}`).not.toMatch(/(table|secret|index|queue|db):?\/?\*"/);
      }
      expect(
        actions.filter((a) => a.endsWith(':*')),
        key,
      ).toEqual([]);
    }
  });
});

describe('the API', () => {
  const methods = byType('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
  const routes = services.flatMap((s) => s.routes.map((r) => ({ service: s.name, ...r })));

  it("puts the authorizer on every route except the catalog's public ones", () => {
    const authorizers = byType('AWS::ApiGateway::Authorizer').map(([key]) => key.split('/')[1]);
    expect(methods).toHaveLength(routes.length);
    for (const route of routes) {
      const [key, method] =
        methods.find(([, m]) => m.Properties.OperationName === functionId(route.service, route.handler)) ?? [];
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      if (route.access === 'public') {
        expect(method!.Properties.AuthorizationType, key).toBe('NONE');
        expect(method!.Properties.AuthorizerId, key).toBeUndefined();
      } else {
        expect(method!.Properties.AuthorizationType, key).toBe('CUSTOM');
        expect(authorizers, key).toContain(logicalId(method!.Properties.AuthorizerId));
      }
    }
  });
});

describe('cdk-nag with a concrete environment', () => {
  it('stays clean when `cdk synth` resolves the region and account (suppressions must not depend on tokens)', () => {
    const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    Object.assign(process.env, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' });
    try {
      const resolved = synthForTest();
      const report = JSON.parse(readFileSync(join(resolved.assembly.directory, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ pluginName: string; conclusion: string; violations: Array<{ ruleName: string }> }>;
      };
      const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')!;
      expect(nag.violations.map((v) => v.ruleName)).toEqual([]);
      expect(nag.conclusion).toBe('success');
    } finally {
      for (const [key, value] of Object.entries({ CDK_DEFAULT_ACCOUNT: saved.account, CDK_DEFAULT_REGION: saved.region }))
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
    }
  });
});
