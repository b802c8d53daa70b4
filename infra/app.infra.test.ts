import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { allTables, services } from '../functions/catalog.ts';
import { functionId } from '../shared/service.ts';
import { buildApp } from './app.ts';
import { cfnLintErrors } from './cfn-lint.ts';

// Bundling is skipped: these tests are about the template, and `npm run synth` covers bundling.
function synth(context: Record<string, unknown> = {}) {
  const built = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } }));
  const assembly = built.app.synth();
  return { ...built, assembly };
}

const aws = synth();
const api = Template.fromStack(aws.api);
const data = Template.fromStack(aws.data);
const messaging = Template.fromStack(aws.messaging);

const routes = services.flatMap((s) => s.routes.map((r) => ({ service: s.name, ...r })));

describe('the synthesized template follows the service catalog', () => {
  it('has one API method per catalog route, with its access rule and API key requirement', () => {
    for (const r of routes) {
      api.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: r.method,
        OperationName: functionId(r.service, r.handler),
        ApiKeyRequired: r.apiKeyRequired !== false,
        AuthorizationType: r.access === 'public' ? 'NONE' : 'CUSTOM',
      });
    }
    const methods = api.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: Match.not('OPTIONS') } });
    expect(Object.keys(methods)).toHaveLength(routes.length);
  });

  it('builds every route path as API Gateway resources', () => {
    const parts = new Set(
      Object.values(api.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart as string),
    );
    for (const r of routes) for (const part of r.path.split('/').filter(Boolean)) expect(parts).toContain(part);
  });

  it('runs every function on Node.js 24, arm64, with tracing and JSON logs', () => {
    const fns = Object.values(api.findResources('AWS::Lambda::Function')).filter((f) =>
      f.Properties.Runtime?.startsWith('nodejs'),
    );
    expect(fns.length).toBeGreaterThanOrEqual(routes.length);
    for (const fn of fns.filter((f) => f.Properties.Handler === 'index.handler')) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      expect(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toMatch(/^shop-/);
    }
  });

  it('gives the health function what it needs to probe every store (settings, network, describe) and no data access', () => {
    const [healthId, health] = Object.entries(api.findResources('AWS::Lambda::Function')).find(([, f]) =>
      String(f.Properties.Description).includes('GET /health'),
    )!;
    const env = Object.keys(health.Properties.Environment.Variables);
    for (const s of services) {
      if (s.stores.postgres) expect(env).toContain(`DATABASE_SECRET_ARN_${s.name.toUpperCase()}`);
      if (s.stores.mongo) expect(env).toContain(`MONGODB_SECRET_ARN_${s.name.toUpperCase()}`);
      for (const t of s.stores.tables ?? []) expect(env).toContain(`TABLE_${t.name.toUpperCase()}`);
    }
    expect(health.Properties.VpcConfig).toBeDefined();
    const roleId = health.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(api.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>);
    const actions = statements.flatMap((st) => [st.Action].flat());
    expect(actions).toContain('dynamodb:DescribeTable');
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions.filter((a) => /dynamodb:(Put|Update|Delete|Get|Query|Scan|BatchWrite|TransactWrite)/.test(a))).toEqual([]);
    expect(healthId).toBeTruthy();
  });

  it("migrates each Postgres service's database before its functions are updated", () => {
    const resources = api.toJSON().Resources as Record<
      string,
      { Type: string; DependsOn?: string[]; Properties: { Description?: string } }
    >;
    for (const service of services.filter((s) => s.stores.postgres)) {
      const trigger = Object.keys(resources).find(
        (id) => id.startsWith(`MigrateTrigger${service.name}`) && !id.includes('Migrate-'),
      )!;
      expect(resources[trigger], service.name).toBeDefined();
      const fns = Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          String(r.Properties.Description).startsWith(`${service.name}: `) &&
          !String(r.Properties.Description).includes('apply database migrations'),
      );
      expect(fns.length, service.name).toBeGreaterThan(0);
      for (const fn of fns) expect(fn.DependsOn, fn.Properties.Description).toContain(trigger);
    }
  });

  it('has an API key, a usage plan with throttling and a quota, and stage throttling', () => {
    api.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    api.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: Match.anyValue(), BurstLimit: Match.anyValue() },
      Quota: { Period: 'DAY' },
    });
    api.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    api.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() }),
      ]),
    });
  });

  it('wires the Lambda authorizer when the catalog declares one', () => {
    const hasAuthorizer = services.some((s) => s.authorizer);
    api.resourceCountIs('AWS::ApiGateway::Authorizer', hasAuthorizer ? 1 : 0);
    if (hasAuthorizer)
      api.hasResourceProperties('AWS::ApiGateway::Authorizer', {
        Type: 'TOKEN',
        IdentitySource: 'method.request.header.Authorization',
      });
  });

  it('answers gateway errors with the platform error body', () => {
    api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('ROUTE_NOT_FOUND') },
    });
    api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'THROTTLED' });
  });

  it('creates every DynamoDB table the manifests declare, with point-in-time recovery', () => {
    data.resourceCountIs('AWS::DynamoDB::Table', allTables().length);
    for (const t of allTables()) {
      data.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `shop-dev-${t.name}`,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        ...(t.ttlAttribute ? { TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true } } : {}),
      });
    }
  });

  it('has PostgreSQL and DocumentDB exactly when a service owns them, encrypted and private', () => {
    const pg = services.some((s) => s.stores.postgres);
    const mongo = services.some((s) => s.stores.mongo);
    data.resourceCountIs('AWS::RDS::DBInstance', pg ? 1 : 0);
    data.resourceCountIs('AWS::DocDB::DBCluster', mongo ? 1 : 0);
    if (pg)
      data.hasResourceProperties('AWS::RDS::DBInstance', {
        StorageEncrypted: true,
        PubliclyAccessible: false,
        Engine: 'postgres',
      });
    if (mongo) data.hasResourceProperties('AWS::DocDB::DBCluster', { StorageEncrypted: true });
  });

  it('routes each subscription through a rule, an encrypted queue with a DLQ, and an event source with partial batch failures', () => {
    const subs = services.flatMap((s) => (s.subscriptions ?? []).map((sub) => ({ service: s.name, ...sub })));
    for (const sub of subs) {
      api.hasResourceProperties('AWS::Events::Rule', {
        Description: `${sub.service}.${sub.name}`,
        EventPattern: Match.objectLike({ 'detail-type': sub.events }),
      });
    }
    const queues = Object.values(api.findResources('AWS::SQS::Queue')).filter((q) => q.Properties.RedrivePolicy);
    expect(queues).toHaveLength(subs.length);
    if (subs.length)
      api.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('schedules every scheduled function at its catalog rate', () => {
    const functions = api.findResources('AWS::Lambda::Function');
    const rules = Object.values(api.findResources('AWS::Events::Rule')).filter((r) => r.Properties.ScheduleExpression);
    for (const service of services)
      for (const s of service.schedules ?? []) {
        const [fnId] =
          Object.entries(functions).find(
            ([, f]) =>
              String(f.Properties.Description).endsWith(`(${s.name})`) &&
              String(f.Properties.Description).startsWith(`${service.name}:`),
          ) ?? [];
        expect(fnId, `${service.name}.${s.name}`).toBeDefined();
        const rule = rules.find((r) => JSON.stringify(r.Properties.Targets).includes(`"${fnId}"`));
        expect(rule?.Properties.ScheduleExpression, `${service.name}.${s.name}`).toBe(
          Schedule.rate(Duration.minutes(s.everyMinutes)).expressionString,
        );
      }
  });

  it('has a function for every saga task, for the state machine to call', () => {
    const tasks = services.flatMap((s) => (s.sagaTasks ?? []).map((t) => ({ service: s.name, ...t })));
    for (const t of tasks) {
      api.hasResourceProperties('AWS::Lambda::Function', { Description: `${t.service}: saga task ${t.state}` });
      expect(aws.api.sagaTasks.get(t.state)).toBeDefined();
    }
  });

  it('gives every orders function the order saga ARN and the right to start it and read its executions', () => {
    const saga = Template.fromStack(aws.saga);
    const [machineId] = Object.keys(saga.findResources('AWS::StepFunctions::StateMachine'));
    expect(machineId).toBeDefined();
    // Every orders function made from the catalog (its migration trigger is not one: it never talks to the saga).
    const orders = Object.values(api.findResources('AWS::Lambda::Function')).filter(
      (f) => String(f.Properties.Description).startsWith('orders:') && !f.Properties.Environment.Variables.MIGRATE_SERVICE,
    );
    expect(orders.length).toBeGreaterThan(0);
    for (const fn of orders) {
      expect(JSON.stringify(fn.Properties.Environment.Variables.ORDER_SAGA_ARN)).toContain(':stateMachine:shop-dev-order-saga');
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const actions = Object.values(api.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
        .flatMap((p) =>
          (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((st) => [st.Action].flat()),
        );
      expect(actions).toEqual(expect.arrayContaining(['states:StartExecution', 'states:DescribeExecution']));
    }
  });

  it('grants each function item-level access to the tables of its own service only, without wildcards', () => {
    const policies = Object.values(api.findResources('AWS::IAM::Policy'));
    const text = JSON.stringify(policies);
    expect(text).not.toContain('/index/*');
    const owners = new Set(services.filter((s) => s.stores.tables?.length).map((s) => `shop-${s.name}`));
    const fns = Object.entries(api.findResources('AWS::Lambda::Function'));
    // Probing functions (health) see every table's name, with describe rights only (asserted above).
    const probing = routes.filter((r) => r.probesEveryStore).map((r) => `${r.method} ${r.path} `);
    for (const [, fn] of fns) {
      if (probing.some((p) => String(fn.Properties.Description).includes(p))) continue;
      const service = fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME as string | undefined;
      const tableVars = Object.keys(fn.Properties.Environment?.Variables ?? {}).filter((k) => k.startsWith('TABLE_'));
      if (service && !owners.has(service)) expect(tableVars, `${service} sees no tables`).toEqual([]);
    }
  });

  it('has the event bus with an archive, and an alarm topic', () => {
    messaging.resourceCountIs('AWS::Events::EventBus', 1);
    messaging.resourceCountIs('AWS::Events::Archive', 1);
    messaging.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('passes cdk-nag AwsSolutions, every acknowledged finding carrying its reason', () => {
    const report = JSON.parse(readFileSync(join(aws.assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{
        pluginName: string;
        conclusion: string;
        violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
      }>;
    };
    const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag, 'the AwsSolutions pack ran').toBeDefined();
    const open = nag!.violations
      .filter((v) => !v.ruleName.startsWith('Annotation'))
      .map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`);
    expect(open).toEqual([]);
    expect(nag!.conclusion).toBe('success');
  });
});

describe('the LocalStack target', () => {
  it('drops VPC, RDS and DocumentDB and points functions at the compose containers', () => {
    const local = synth({ target: 'localstack' });
    const d = Template.fromStack(local.data);
    d.resourceCountIs('AWS::EC2::VPC', 0);
    d.resourceCountIs('AWS::RDS::DBInstance', 0);
    const a = Template.fromStack(local.api);
    const pgService = services.find((s) => s.stores.postgres);
    if (pgService) {
      a.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [`DATABASE_URL_${pgService.name.toUpperCase()}`]: Match.stringLikeRegexp('^postgres://'),
          }),
        },
      });
    }
  });
});

describe('cfn-lint', () => {
  it('finds no errors in the synthesized templates', () => {
    const stacks = [aws.api, aws.data, aws.messaging, aws.saga];
    expect(cfnLintErrors(Object.fromEntries(stacks.map((s) => [s.stackName, Template.fromStack(s).toJSON()])))).toBe('');
  });
});
