import type { App } from 'aws-cdk-lib';

/** Where the CDK app deploys to. `localstack` swaps VPC/RDS/DocumentDB for plain connection strings. */
export type Target = 'aws' | 'localstack';

export interface DeploySettings {
  target: Target;
  stage: string;
  /** Stage-wide API throttling (requests per second / burst). */
  apiRateLimit: number;
  apiBurstLimit: number;
  /** Usage plan for the default API key. */
  usagePlanRateLimit: number;
  usagePlanBurstLimit: number;
  usagePlanQuotaPerDay: number;
  /**
   * LocalStack only: the Postgres and MongoDB containers of docker-compose.localstack.yml, with a login per service
   * (scripts/localstack/init-*). The login defaults to the service's own; the health check's is the monitor's.
   */
  localPostgresUrl: (service: string, login?: string) => string;
  localMongoUri: (service?: string) => string;
  /** Keep data stores when a stack is deleted (everything but throwaway stages). */
  retainData: boolean;
  alarmEmail?: string;
  /** Email and SMS to people: `recording` (default) keeps them in the notifications store; `aws` sends through SES and SNS. */
  messaging: 'recording' | 'aws';
  /** The SES-verified From address when messaging is `aws`, e.g. `Shop <no-reply@shop.example>`. */
  messagingEmailFrom?: string;
}

/**
 * The LocalStack target's passwords, `<login>_local`: throwaway containers on the developer's machine, the same
 * convention as the offline engine. scripts/localstack/provision.ts creates the logins with them.
 */
export const localPassword = (login: string): string => `${login}_local`;

export function settingsFrom(app: App): DeploySettings {
  const ctx = (key: string) => app.node.tryGetContext(key) as string | undefined;
  const target = (ctx('target') ?? 'aws') as Target;
  if (target !== 'aws' && target !== 'localstack') throw new Error(`-c target must be aws or localstack, not ${target}`);
  const stage = ctx('stage') ?? 'dev';
  const pgHost = ctx('localPostgresHost') ?? 'postgres:5432';
  const mongoHost = ctx('localMongoHost') ?? 'mongo:27017';
  return {
    target,
    stage,
    apiRateLimit: Number(ctx('apiRateLimit') ?? 100),
    apiBurstLimit: Number(ctx('apiBurstLimit') ?? 200),
    usagePlanRateLimit: Number(ctx('usagePlanRateLimit') ?? 50),
    usagePlanBurstLimit: Number(ctx('usagePlanBurstLimit') ?? 100),
    usagePlanQuotaPerDay: Number(ctx('usagePlanQuotaPerDay') ?? 100_000),
    localPostgresUrl: (service, login = `shop_${service}`) =>
      `postgres://${login}:${localPassword(login)}@${pgHost}/shop_${service}`,
    localMongoUri: (service) => {
      const login = service ? `shop_${service}` : 'shop_monitor';
      return `mongodb://${login}:${localPassword(login)}@${mongoHost}/?authSource=admin`;
    },
    retainData: stage === 'prod' || ctx('retainData') === 'true',
    alarmEmail: ctx('alarmEmail'),
    messaging: ctx('messaging') === 'aws' ? 'aws' : 'recording',
    messagingEmailFrom: ctx('messagingEmailFrom'),
  };
}
