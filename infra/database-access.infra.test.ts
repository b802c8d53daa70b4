import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { mongoServices, postgresServices } from '../functions/catalog.ts';
import { buildApp } from './app.ts';

// Database per service as a boundary in AWS: each service logs in with its own rotated secret, and only the
// triggers that create those logins can read the master credentials.
const built = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
const api = Template.fromStack(built.api).toJSON().Resources as Record<string, CfnResource>;
const data = Template.fromStack(built.data).toJSON().Resources as Record<string, CfnResource>;

interface CfnResource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON
  Properties: Record<string, any>;
}

/** Names a secret reference by the Data stack resource it imports: `postgres:users`, `postgres:master`, `mongo:monitor`. */
function secretLabel(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  const login = /ExportsOutputRef(PostgresLogin|DocumentDbLogin)([a-z]+)Attachment/.exec(text);
  if (login) return `${login[1] === 'PostgresLogin' ? 'postgres' : 'mongo'}:${login[2]}`;
  const master = /ExportsOutputRef(PostgresSecret|DocumentDbSecret)Attachment/.exec(text);
  if (master) return `${master[1] === 'PostgresSecret' ? 'postgres' : 'mongo'}:master`;
  return undefined;
}

const functions = Object.entries(api).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment);
const serviceOf = (fn: CfnResource) => String(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).replace(/^shop-/, '');
const isMigration = (fn: CfnResource) => String(fn.Properties.Description).endsWith('apply database migrations');
const isMongoUsers = (fn: CfnResource) => String(fn.Properties.Description).includes('DocumentDB user per service');

/** Which database secrets a function's role may read. */
function readableSecrets(fn: CfnResource): string[] {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(api)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
    .filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))
    .flatMap((st) => [st.Resource].flat().map(secretLabel))
    .filter((label): label is string => Boolean(label))
    .sort();
}

describe('per-service database logins in AWS', () => {
  const secrets = Object.entries(data).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret');
  const attachments = Object.entries(data).filter(([, r]) => r.Type === 'AWS::SecretsManager::SecretTargetAttachment');
  const rotations = Object.values(data).filter((r) => r.Type === 'AWS::SecretsManager::RotationSchedule');

  const logins = [
    ...postgresServices().map((s) => ({ engine: 'postgres', prefix: 'PostgresLogin', target: 'AWS::RDS::DBInstance', name: s })),
    ...mongoServices().map((s) => ({ engine: 'mongo', prefix: 'DocumentDbLogin', target: 'AWS::DocDB::DBCluster', name: s })),
  ];
  const withMonitors = [
    ...logins,
    ...[...new Set(logins.map((l) => l.engine))].map((engine) => ({
      ...logins.find((l) => l.engine === engine)!,
      name: 'monitor',
    })),
  ];

  it('gives every database-owning service (and the health monitor) its own secret, attached to the cluster and rotated', () => {
    expect(logins.length).toBeGreaterThan(0);
    for (const login of withMonitors) {
      const username = `shop_${login.name}`;
      const [secretId] =
        secrets.find(
          ([id, r]) =>
            id.startsWith(`${login.prefix}${login.name}`) &&
            r.Properties.GenerateSecretString?.SecretStringTemplate === JSON.stringify({ username }),
        ) ?? [];
      expect(secretId, `${login.engine} secret for ${username}`).toBeDefined();
      const [attachmentId, attachment] = attachments.find(([, r]) => r.Properties.SecretId.Ref === secretId) ?? [];
      expect(attachment?.Properties.TargetType, username).toBe(login.target);
      const rotation = rotations.find((r) => r.Properties.SecretId.Ref === attachmentId);
      expect(rotation?.Properties.RotationRules.ScheduleExpression, `${username} rotates`).toBe('rate(30 days)');
    }
  });

  it('hands each function the secret of its own service only; probes of other services get the monitor login', () => {
    for (const [id, fn] of functions) {
      if (isMigration(fn) || isMongoUsers(fn)) continue;
      const own = serviceOf(fn);
      for (const [key, value] of Object.entries<unknown>(fn.Properties.Environment.Variables)) {
        const m = /^(DATABASE_SECRET_ARN|MONGODB_SECRET_ARN)_([A-Z]+)$/.exec(key);
        if (!m) continue;
        const engine = m[1] === 'DATABASE_SECRET_ARN' ? 'postgres' : 'mongo';
        const target = m[2]!.toLowerCase();
        expect(secretLabel(value), `${id} ${key}`).toBe(`${engine}:${target === own ? own : 'monitor'}`);
      }
      expect(fn.Properties.Environment.Variables.MONGODB_SECRET_ARN, `${id} has no shared DocumentDB login`).toBeUndefined();
    }
  });

  it("lets no function read another service's secret, and only the login-creating triggers read the master secrets", () => {
    let checked = 0;
    for (const [id, fn] of functions) {
      const readable = readableSecrets(fn);
      const own = serviceOf(fn);
      if (isMigration(fn)) {
        expect(readable, id).toEqual(['postgres:master', 'postgres:monitor', `postgres:${own}`].sort());
        continue;
      }
      if (isMongoUsers(fn)) {
        expect(readable, id).toEqual(['mongo:master', 'mongo:monitor', ...mongoServices().map((s) => `mongo:${s}`)].sort());
        continue;
      }
      for (const label of readable) {
        expect(label, `${id} reads ${label}`).toMatch(new RegExp(`^(postgres|mongo):(${own}|monitor)$`));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("runs each service's migration trigger with the master secret and the service's own login", () => {
    for (const service of postgresServices()) {
      const [, fn] = functions.find(([, f]) => isMigration(f) && serviceOf(f) === service) ?? [];
      expect(fn, service).toBeDefined();
      const env = fn!.Properties.Environment.Variables;
      expect(secretLabel(env.DATABASE_SECRET_ARN_ADMIN)).toBe('postgres:master');
      expect(secretLabel(env[`DATABASE_SECRET_ARN_${service.toUpperCase()}`])).toBe(`postgres:${service}`);
      expect(secretLabel(env.DATABASE_MONITOR_SECRET_ARN)).toBe('postgres:monitor');
    }
  });

  it('creates the DocumentDB users before the Mongo-owning services and the health check are updated', () => {
    if (!mongoServices().length) return;
    const trigger = Object.entries(api).find(([id, r]) => id.startsWith('MongoUsersTrigger') && r.Type === 'Custom::Trigger');
    expect(trigger).toBeDefined();
    const all = Template.fromStack(built.api).toJSON().Resources as Record<string, { DependsOn?: string[] } & CfnResource>;
    for (const [id, fn] of functions) {
      const service = serviceOf(fn);
      if (!mongoServices().includes(service) || isMongoUsers(fn)) continue;
      expect(all[id]!.DependsOn, id).toContain(trigger![0]);
    }
  });
});
