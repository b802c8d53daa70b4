import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { mongoServices, postgresServices, services } from '../functions/catalog.ts';
import { functionId } from '../shared/service.ts';
import { cfnLintErrors } from './cfn-lint.ts';
import { localPassword } from './config.ts';
import { synthForTest } from './synth.ts';

// The LocalStack target is checked by construction (no Docker here): the compose file and the synthesized templates.
const local = synthForTest({ target: 'localstack' });
const compose = parse(readFileSync(join(import.meta.dirname, '..', 'docker-compose.localstack.yml'), 'utf8')) as {
  services: Record<
    string,
    { image: string; ports?: string[]; environment?: Record<string, string>; networks?: string[]; volumes?: string[] }
  >;
  networks: Record<string, { name: string }>;
};
const functions = local.all.filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment);
const env = (fn: (typeof functions)[number]) => fn[1].Properties.Environment.Variables as Record<string, unknown>;
const serviceOf = (fn: (typeof functions)[number]) => String(env(fn).POWERTOOLS_SERVICE_NAME).replace(/^shop-/, '');

/**
 * CloudFormation types by the LocalStack service that runs them, on the free (Hobby) plan per LocalStack's coverage
 * catalog (docs.localstack.cloud/api-coverage/v1). Not there: EC2/VPC, RDS, DocumentDB (paid), X-Ray (paid),
 * API Gateway v2 (Base), and the REST API's Lambda authorizer, which localstack-core did not create when we tried.
 */
const FREE_PLAN: Record<string, string> = {
  'AWS::ApiGateway::': 'apigateway',
  'AWS::Lambda::': 'lambda',
  'AWS::Events::': 'events',
  'AWS::SQS::': 'sqs',
  'AWS::StepFunctions::': 'stepfunctions',
  'AWS::DynamoDB::': 'dynamodb',
  'AWS::SecretsManager::Secret': 'secretsmanager',
  'AWS::Logs::': 'logs',
  'AWS::IAM::': 'iam',
  'AWS::SNS::': 'sns',
  'AWS::CloudWatch::': 'cloudwatch',
  'AWS::SSM::': 'ssm',
  'AWS::S3::': 's3',
  'Custom::': 'cloudformation',
  'AWS::CDK::Metadata': 'cloudformation',
};
const freeServiceOf = (type: string) => Object.entries(FREE_PLAN).find(([prefix]) => type.startsWith(prefix))?.[1];

describe('the LocalStack template', () => {
  it('uses only resources LocalStack runs on its free plan: no VPC, RDS, DocumentDB, rotation apps or authorizer', () => {
    const types = new Set(local.all.map(([, r]) => r.Type));
    for (const type of types) expect(freeServiceOf(type), type).toBeDefined();
    for (const banned of ['AWS::EC2::VPC', 'AWS::RDS::DBInstance', 'AWS::DocDB::DBCluster', 'AWS::ApiGateway::Authorizer'])
      expect(types.has(banned), banned).toBe(false);
    expect([...types].filter((t) => /Serverless::Application|RotationSchedule|SecretTargetAttachment/.test(t))).toEqual([]);
    for (const [key, fn] of functions) expect(fn.Properties.VpcConfig, key).toBeUndefined();
  });

  it('lists every service the template needs in the compose file’s SERVICES', () => {
    const enabled = compose.services.localstack!.environment!.SERVICES!.split(',');
    const needed = new Set(local.all.map(([, r]) => freeServiceOf(r.Type)!));
    for (const service of needed) expect(enabled, service).toContain(service);
  });

  it('wires each service to its own database login in the compose containers (the health check to the monitor)', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const own = serviceOf(fn);
      const vars = env(fn);
      expect(
        Object.keys(vars).filter((k) => /SECRET_ARN_(?!$)/.test(k) && k !== 'JWT_KEY_SECRET_ARN'),
        fn[0],
      ).toEqual([]);
      for (const service of postgresServices()) {
        const url = vars[`DATABASE_URL_${service.toUpperCase()}`] as string | undefined;
        if (!url) continue;
        const login = service === own ? `shop_${service}` : 'shop_monitor';
        expect(url, fn[0]).toBe(`postgres://${login}:${localPassword(login)}@postgres:5432/shop_${service}`);
      }
      for (const service of mongoServices()) {
        const uri = vars[`MONGODB_URI_${service.toUpperCase()}`] as string | undefined;
        if (!uri) continue;
        const login = service === own ? `shop_${service}` : 'shop_monitor';
        expect(uri, fn[0]).toBe(`mongodb://${login}:${localPassword(login)}@mongo:27017/?authSource=admin`);
      }
    }
    for (const service of services.filter((s) => s.stores.postgres || s.stores.mongo)) {
      const owned = functions.filter((fn) => serviceOf(fn) === service.name);
      expect(owned.length, service.name).toBeGreaterThan(0);
      for (const fn of owned) {
        if (service.stores.postgres) expect(env(fn), fn[0]).toHaveProperty(`DATABASE_URL_${service.name.toUpperCase()}`);
        if (service.stores.mongo) expect(env(fn), fn[0]).toHaveProperty(`MONGODB_URI_${service.name.toUpperCase()}`);
      }
    }
  });

  it('verifies tokens inside every non-public route’s function instead of a Lambda authorizer', () => {
    const methods = local.all.filter(([, r]) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod !== 'OPTIONS');
    for (const service of services)
      for (const route of service.routes) {
        const [key, method] =
          methods.find(([, m]) => m.Properties.OperationName === functionId(service.name, route.handler)) ?? [];
        expect(method?.Properties.AuthorizationType, `${route.method} ${route.path}`).toBe('NONE');
        const fn = functions.find(([, f]) =>
          String(f.Properties.Description).startsWith(`${service.name}: ${route.method} ${route.path} (`),
        );
        expect(fn, key).toBeDefined();
        if (route.access === 'public') expect(env(fn!).AUTHORIZE_IN_FUNCTION, key).toBeUndefined();
        else {
          expect(env(fn!).AUTHORIZE_IN_FUNCTION, key).toBe('true');
          expect(env(fn!).JWT_KEY_SECRET_ARN, key).toBeDefined();
        }
      }
  });

  it('passes cdk-nag AwsSolutions and cfn-lint like the aws target', () => {
    const report = JSON.parse(readFileSync(join(local.assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; conclusion: string }>;
    };
    expect(report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')?.conclusion).toBe('success');
    const templates = local.stacks.map((s) => [s.stackName, local.templates.get(s.stackName)!.toJSON()]);
    expect(cfnLintErrors(Object.fromEntries(templates))).toBe('');
  });
});

describe('docker-compose.localstack.yml', () => {
  it('runs LocalStack, PostgreSQL and MongoDB on one network the Lambda containers join', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['localstack', 'mongo', 'postgres']);
    const network = compose.networks['shop-local']!.name;
    for (const s of Object.values(compose.services)) expect(s.networks).toContain('shop-local');
    expect(compose.services.localstack!.environment!.LAMBDA_DOCKER_NETWORK).toBe(network);
    expect(compose.services.localstack!.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
  });

  it('passes the LocalStack auth token through from the environment and refuses to start without one', () => {
    const token = compose.services.localstack!.environment!.LOCALSTACK_AUTH_TOKEN!;
    expect(token).toMatch(/^\$\{LOCALSTACK_AUTH_TOKEN:\?[^}]+\}$/);
  });

  it('publishes its ports on loopback only: the LocalStack edge, PostgreSQL and MongoDB for provisioning', () => {
    expect(compose.services.localstack!.ports).toEqual(['127.0.0.1:4566:4566']);
    expect(compose.services.postgres!.ports).toEqual(['127.0.0.1:55433:5432']);
    expect(compose.services.mongo!.ports).toEqual(['127.0.0.1:57018:27017']);
  });

  it('gives PostgreSQL and MongoDB an administrator login only; provisioning creates the per-service users', () => {
    expect(compose.services.postgres!.environment).toMatchObject({ POSTGRES_USER: 'shop_admin' });
    expect(compose.services.mongo!.environment).toMatchObject({ MONGO_INITDB_ROOT_USERNAME: 'shop_admin' });
    const provision = readFileSync(join(import.meta.dirname, '..', 'scripts', 'localstack', 'provision.ts'), 'utf8');
    for (const call of ['provisionServiceDatabase', 'provisionMongoUsers', 'postgresServices()', 'mongoServices()'])
      expect(provision).toContain(call);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['deploy:local']).toMatch(
      /^tsx scripts\/localstack\/provision\.ts && cdklocal deploy .*-c target=localstack/,
    );
  });

  it('names the hosts the functions use as compose services with those container ports', () => {
    const hosts = functions.flatMap((fn) =>
      Object.entries(env(fn))
        .filter(([k]) => /^(DATABASE_URL|MONGODB_URI)_/.test(k))
        .map(([, v]) => new URL(String(v)).host),
    );
    expect(hosts.length).toBeGreaterThan(0);
    for (const host of new Set(hosts)) expect(['postgres:5432', 'mongo:27017']).toContain(host);
  });
});
