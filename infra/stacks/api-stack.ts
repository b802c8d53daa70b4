import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { functionId, type ServiceManifest, SUBSCRIPTION_MAX_RECEIVES, SUBSCRIPTION_SOURCE_PREFIX } from '../../shared/service.ts';
import type { DeploySettings } from '../config.ts';
import { grantMessaging } from '../constructs/messaging-sender.ts';
import { PaymentProcessor } from '../constructs/payment-processor.ts';
import { ServiceFunction } from '../constructs/service-function.ts';
import { MONITOR_LOGIN } from './data-stack.ts';
import { grantStartOrderSaga, orderSagaArn } from './saga-stack.ts';

export interface ApiStackProps extends StackProps {
  settings: DeploySettings;
  services: ServiceManifest[];
  bus: events.IEventBus;
  alarmTopic: sns.ITopic;
  tables: Map<string, dynamodb.ITable>;
  vpc?: ec2.IVpc;
  dataAccess?: ec2.ISecurityGroup;
  /** Master credentials: granted to the migration triggers only. */
  postgresSecret?: secretsmanager.ISecret;
  mongoSecret?: secretsmanager.ISecret;
  /** Each service's own login; a function reads its own service's secret and no other. */
  postgresLogins?: Map<string, secretsmanager.ISecret>;
  mongoLogins?: Map<string, secretsmanager.ISecret>;
  /** The health check's logins (connect/ping, no data), for probes of other services' databases. */
  postgresMonitorLogin?: secretsmanager.ISecret;
  mongoMonitorLogin?: secretsmanager.ISecret;
}

const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];

/** A DLQ's fixed name: the dashboard (another stack) reads its depth by name, without a cross-stack export. */
export const dlqName = (stage: string, path: string): string => `shop-${stage}-${path.replace(/[^A-Za-z0-9_-]/g, '-')}-dlq`;

/** Shared by the users service (signs tokens) and the gateway authorizer (verifies them). */
const JWT_KEY_CONSUMERS = new Set(['users', 'gateway']);
/** Starts the order saga (its outbox relay, the cancel route, the reconciler) and reads its executions. */
const SAGA_STARTERS = new Set(['orders']);

/**
 * Every function the catalog describes, wired as the manifests say: one function per route behind the REST API
 * (Lambda authorizer, API keys and usage plan, throttling, JSON gateway errors), one queue + DLQ + rule per
 * event subscription, one rule per schedule, the saga task functions, and a migration trigger per Postgres database.
 */
export class ApiStack extends Stack {
  readonly api: apigw.RestApi;
  /** Saga task functions by state name, for the state machine. */
  readonly sagaTasks = new Map<string, ServiceFunction>();
  readonly functions: ServiceFunction[] = [];
  /** Every dead-letter queue, by the async path it backs (`<service>.<subscription>`, `event-delivery`), for the dashboard. */
  readonly dlqs = new Map<string, sqs.Queue>();
  readonly deliveryDlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings, services } = props;
    const jwtKey = new secretsmanager.Secret(this, 'JwtSigningKey', {
      description: 'ES256 key pair for access tokens; written by the users service on first use',
    });

    const probing: ServiceFunction[] = [];
    /** `probes`: other services whose stores this function checks (health): settings and probe rights, no data. */
    const make = (
      service: ServiceManifest,
      handler: string,
      description: string,
      extra: Partial<ConstructorParameters<typeof ServiceFunction>[2]> = {},
      probes: ServiceManifest[] = [],
    ) => {
      const owners = [service, ...probes.filter((p) => p !== service)];
      const inVpc = settings.target === 'aws' && owners.some((o) => o.stores.postgres || o.stores.mongo) && props.vpc;
      const environment: Record<string, string> = { STAGE: settings.stage, EVENT_BUS_NAME: props.bus.eventBusName };
      const readable = new Set<secretsmanager.ISecret>();
      for (const owner of owners) {
        for (const t of owner.stores.tables ?? [])
          environment[`TABLE_${t.name.toUpperCase()}`] = props.tables.get(t.name)!.tableName;
        const own = owner === service;
        const key = owner.name.toUpperCase();
        if (owner.stores.postgres) {
          if (settings.target === 'localstack')
            environment[`DATABASE_URL_${key}`] = settings.localPostgresUrl(owner.name, own ? undefined : MONITOR_LOGIN);
          else {
            const login = own ? props.postgresLogins?.get(owner.name) : props.postgresMonitorLogin;
            if (login) {
              environment[`DATABASE_SECRET_ARN_${key}`] = login.secretArn;
              readable.add(login);
            }
          }
        }
        if (owner.stores.mongo) {
          if (settings.target === 'localstack')
            environment[`MONGODB_URI_${key}`] = settings.localMongoUri(own ? owner.name : undefined);
          else {
            const login = own ? props.mongoLogins?.get(owner.name) : props.mongoMonitorLogin;
            if (login) {
              environment[`MONGODB_SECRET_ARN_${key}`] = login.secretArn;
              readable.add(login);
            }
          }
        }
      }
      if (JWT_KEY_CONSUMERS.has(service.name)) environment.JWT_KEY_SECRET_ARN = jwtKey.secretArn;
      if (SAGA_STARTERS.has(service.name)) environment.ORDER_SAGA_ARN = orderSagaArn(this, settings.stage);
      const fn = new ServiceFunction(this, `Fn-${functionId(service.name, handler)}`, {
        service: service.name,
        entry: `functions/${service.name}/${handler}.ts`,
        description,
        vpc: inVpc ? props.vpc : undefined,
        securityGroups: inVpc && props.dataAccess ? [props.dataAccess] : undefined,
        ...extra,
        environment: { ...environment, ...extra.environment },
      });
      props.bus.grantPutEventsTo(fn);
      // Item-level access to the service's own tables and their declared indexes only (no `index/*` wildcard).
      for (const t of service.stores.tables ?? []) {
        const table = props.tables.get(t.name)!;
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: TABLE_ACTIONS,
            resources: [table.tableArn, ...(t.indexes ?? []).map((i) => `${table.tableArn}/index/${i.name}`)],
          }),
        );
      }
      for (const probed of owners.filter((o) => o !== service)) {
        const tables = (probed.stores.tables ?? []).map((t) => props.tables.get(t.name)!.tableArn);
        if (tables.length)
          fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: tables }));
      }
      for (const secret of readable) secret.grantRead(fn);
      if (SAGA_STARTERS.has(service.name)) grantStartOrderSaga(fn, settings.stage);
      if (JWT_KEY_CONSUMERS.has(service.name)) {
        jwtKey.grantRead(fn);
        if (service.name === 'users') jwtKey.grantWrite(fn);
      }
      this.functions.push(fn);
      if (owners.length > 1) probing.push(fn);
      return fn;
    };

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `shop-${settings.stage}`,
      description: 'Shop platform API',
      cloudWatchRole: true,
      deployOptions: {
        stageName: settings.stage,
        throttlingRateLimit: settings.apiRateLimit,
        throttlingBurstLimit: settings.apiBurstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        methodOptions: Object.fromEntries(
          services.flatMap((s) =>
            s.routes
              .filter((r) => r.throttle)
              .map((r) => [
                `${r.path}/${r.method}`,
                { throttlingRateLimit: r.throttle!.rateLimit, throttlingBurstLimit: r.throttle!.burstLimit },
              ]),
          ),
        ),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: apigw.Cors.ALL_ORIGINS,
        allowHeaders: ['Content-Type', 'Authorization', 'X-Api-Key', 'Idempotency-Key', 'X-Correlation-Id'],
        maxAge: Duration.minutes(10),
      },
      minCompressionSize: undefined,
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
    });
    // API Gateway's own rejections speak the same error body as the handlers.
    const errorBody = (code: string) => ({
      'application/json': `{"error":{"code":"${code}","message":$context.error.messageString,"requestId":"$context.requestId"}}`,
    });
    const gatewayResponses: Array<[string, apigw.ResponseType, string, string?]> = [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX, 'BAD_REQUEST'],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX, 'INTERNAL'],
      ['Unauthorized', apigw.ResponseType.UNAUTHORIZED, 'UNAUTHORIZED'],
      ['AccessDenied', apigw.ResponseType.ACCESS_DENIED, 'FORBIDDEN'],
      ['Throttled', apigw.ResponseType.THROTTLED, 'TOO_MANY_REQUESTS'],
      ['QuotaExceeded', apigw.ResponseType.QUOTA_EXCEEDED, 'TOO_MANY_REQUESTS'],
      ['InvalidApiKey', apigw.ResponseType.INVALID_API_KEY, 'INVALID_API_KEY'],
      ['TooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, 'PAYLOAD_TOO_LARGE'],
      ['NoRoute', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'ROUTE_NOT_FOUND', '404'],
    ];
    for (const [id, type, code, statusCode] of gatewayResponses) {
      this.api.addGatewayResponse(id, {
        type,
        statusCode,
        templates: errorBody(code),
        // Throttled callers learn when to come back, as offline (the API documents Retry-After on every 429).
        responseHeaders: {
          'Access-Control-Allow-Origin': "'*'",
          ...(code === 'TOO_MANY_REQUESTS' ? { 'Retry-After': "'1'" } : {}),
        },
      });
    }

    const authorizerOwner = services.find((s) => s.authorizer);
    // LocalStack's free tier runs no REST API Lambda authorizer: there each non-public route's function verifies the
    // bearer token itself, with the same verifier (AUTHORIZE_IN_FUNCTION, shared/http/handler.ts).
    const authorizeInFunctions = settings.target === 'localstack';
    const authorizer =
      authorizerOwner?.authorizer && !authorizeInFunctions
        ? new apigw.TokenAuthorizer(this, 'Authorizer', {
            handler: make(authorizerOwner, authorizerOwner.authorizer.handler, 'API Lambda authorizer (access tokens)'),
            resultsCacheTtl: Duration.seconds(authorizerOwner.authorizer.resultTtlSeconds),
            validationRegex: '^Bearer [-0-9A-Za-z._~+/]+=*$',
          })
        : undefined;

    // What EventBridge could not deliver (a subscription's queue refused it, a scheduled function's async invoke kept
    // failing) lands here instead of being dropped; alarmed like every other DLQ.
    this.deliveryDlq = new sqs.Queue(this, 'EventDeliveryDlq', {
      queueName: dlqName(settings.stage, 'event-delivery'),
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.dlqs.set('event-delivery', this.deliveryDlq);
    Validations.of(this.deliveryDlq).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'It is a DLQ: EventBridge targets name it as their dead-letter queue (no queue redrive points at it).',
    });
    this.deliveryDlq
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) })
      .createAlarm(this, 'DlqAlarm-event-delivery', {
        alarmDescription: 'EventBridge deliveries (subscription queues, schedules) that failed after retries',
        threshold: 1,
        evaluationPeriods: 1,
      })
      .addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

    for (const service of services) {
      for (const route of service.routes) {
        const inFunction = authorizeInFunctions && route.access !== 'public';
        const fn = make(
          service,
          route.handler,
          `${service.name}: ${route.method} ${route.path} (${route.summary})`,
          {
            timeout: Duration.seconds(route.timeoutSeconds ?? 10),
            memorySize: route.memoryMb,
            copyIntoBundle: route.bundle,
            environment: inFunction ? { AUTHORIZE_IN_FUNCTION: 'true', JWT_KEY_SECRET_ARN: jwtKey.secretArn } : undefined,
          },
          route.probesEveryStore ? services : [],
        );
        if (inFunction) jwtKey.grantRead(fn);
        const custom = route.access !== 'public' && !inFunction;
        if (custom && !authorizer)
          throw new Error(`${route.method} ${route.path} needs an authorizer; the catalog declares none`);
        this.api.root.resourceForPath(route.path).addMethod(route.method, new apigw.LambdaIntegration(fn, { proxy: true }), {
          operationName: functionId(service.name, route.handler),
          apiKeyRequired: route.apiKeyRequired !== false,
          authorizer: custom ? authorizer : undefined,
          authorizationType: custom ? apigw.AuthorizationType.CUSTOM : apigw.AuthorizationType.NONE,
        });
      }

      for (const sub of service.subscriptions ?? []) {
        const dlq = new sqs.Queue(this, `Dlq-${service.name}-${sub.name}`, {
          queueName: dlqName(settings.stage, `${service.name}.${sub.name}`),
          retentionPeriod: Duration.days(14),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
        });
        const fn = make(service, sub.handler, `${service.name}: consumes ${sub.events.join(', ')}`, {
          timeout: Duration.seconds(30),
        });
        const queue = new sqs.Queue(this, `Queue-${service.name}-${sub.name}`, {
          visibilityTimeout: Duration.seconds(6 * 30),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          deadLetterQueue: { queue: dlq, maxReceiveCount: SUBSCRIPTION_MAX_RECEIVES },
        });
        this.dlqs.set(`${service.name}.${sub.name}`, dlq);
        new events.Rule(this, `Rule-${service.name}-${sub.name}`, {
          eventBus: props.bus,
          description: `${service.name}.${sub.name}`,
          eventPattern: { source: events.Match.prefix(SUBSCRIPTION_SOURCE_PREFIX), detailType: sub.events },
          targets: [new targets.SqsQueue(queue, { deadLetterQueue: this.deliveryDlq })],
        });
        fn.addEventSource(
          new lambdaEvents.SqsEventSource(queue, {
            batchSize: sub.batchSize ?? 10,
            maxBatchingWindow: sub.batchWindowSeconds ? Duration.seconds(sub.batchWindowSeconds) : undefined,
            reportBatchItemFailures: true,
          }),
        );
        if (sub.sends?.length) grantMessaging(fn, sub.sends, settings);
        dlq
          .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) })
          .createAlarm(this, `DlqAlarm-${service.name}-${sub.name}`, {
            alarmDescription: `${service.name}.${sub.name}: messages in the dead-letter queue`,
            threshold: 1,
            evaluationPeriods: 1,
          })
          .addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      }

      for (const schedule of service.schedules ?? []) {
        const fn = make(service, schedule.handler, `${service.name}: every ${schedule.everyMinutes} min (${schedule.name})`, {
          timeout: Duration.seconds(60),
        });
        new events.Rule(this, `Schedule-${service.name}-${schedule.name}`, {
          schedule: events.Schedule.rate(Duration.minutes(schedule.everyMinutes)),
          targets: [new targets.LambdaFunction(fn, { retryAttempts: 2, deadLetterQueue: this.deliveryDlq })],
        });
      }

      for (const task of service.sagaTasks ?? []) {
        this.sagaTasks.set(
          task.state,
          make(service, task.handler, `${service.name}: saga task ${task.state}`, { timeout: Duration.seconds(30) }),
        );
      }

      const ownLogin = props.postgresLogins?.get(service.name);
      if (service.stores.postgres && settings.target === 'aws' && props.postgresSecret && ownLogin) {
        const migrateFn = new ServiceFunction(this, `Migrate-${service.name}`, {
          service: service.name,
          entry: 'shared/db/migrate-handler.ts',
          description: `${service.name}: apply database migrations`,
          timeout: Duration.minutes(5),
          vpc: props.vpc,
          securityGroups: props.dataAccess ? [props.dataAccess] : undefined,
          environment: {
            MIGRATE_SERVICE: service.name,
            DATABASE_SECRET_ARN_ADMIN: props.postgresSecret.secretArn,
            [`DATABASE_SECRET_ARN_${service.name.toUpperCase()}`]: ownLogin.secretArn,
            ...(props.postgresMonitorLogin ? { DATABASE_MONITOR_SECRET_ARN: props.postgresMonitorLogin.secretArn } : {}),
          },
          copyIntoBundle: [
            ['shared/db/migrations', 'migrations/shared'],
            [`functions/${service.name}/store/migrations`, 'migrations/service'],
          ],
        });
        // The master secret: this trigger is the only reader. It sets the service's (and the monitor's) password from theirs.
        for (const secret of [props.postgresSecret, ownLogin, props.postgresMonitorLogin]) secret?.grantRead(migrateFn);
        // Before the service's functions are updated: new code must not meet a database without its columns.
        new triggers.Trigger(this, `MigrateTrigger-${service.name}`, {
          handler: migrateFn,
          executeOnHandlerChange: true,
          timeout: Duration.minutes(5),
          executeBefore: this.functions.filter((fn) => fn.service === service.name),
        });
      }
    }

    const mongoOwners = services.filter((s) => s.stores.mongo && props.mongoLogins?.has(s.name));
    if (settings.target === 'aws' && props.mongoSecret && mongoOwners.length) {
      const logins = mongoOwners.map((s) => [s.name, props.mongoLogins!.get(s.name)!] as const);
      const usersFn = new ServiceFunction(this, 'MongoUsers', {
        service: 'platform',
        entry: 'shared/db/mongo-users-handler.ts',
        description: 'platform: DocumentDB user per service database',
        timeout: Duration.minutes(2),
        vpc: props.vpc,
        securityGroups: props.dataAccess ? [props.dataAccess] : undefined,
        environment: {
          MONGODB_MASTER_SECRET_ARN: props.mongoSecret.secretArn,
          ...(props.mongoMonitorLogin ? { MONGODB_MONITOR_SECRET_ARN: props.mongoMonitorLogin.secretArn } : {}),
          ...Object.fromEntries(logins.map(([name, secret]) => [`MONGODB_SECRET_ARN_${name.toUpperCase()}`, secret.secretArn])),
        },
      });
      // The DocumentDB master secret: this trigger is its only reader.
      for (const secret of [props.mongoSecret, props.mongoMonitorLogin, ...logins.map(([, s]) => s)]) secret?.grantRead(usersFn);
      new triggers.Trigger(this, 'MongoUsersTrigger', {
        handler: usersFn,
        executeOnHandlerChange: true,
        timeout: Duration.minutes(2),
        executeBefore: this.functions.filter((fn) => mongoOwners.some((s) => s.name === fn.service) || probing.includes(fn)),
      });
    }

    if (services.some((s) => s.name === 'payments')) {
      new PaymentProcessor(this, 'PaymentProcessor', {
        alarmTopic: props.alarmTopic,
        consumers: this.functions.filter((fn) => fn.service === 'payments'),
      });
    }

    const plan = this.api.addUsagePlan('DefaultUsagePlan', {
      name: `shop-${settings.stage}-default`,
      throttle: { rateLimit: settings.usagePlanRateLimit, burstLimit: settings.usagePlanBurstLimit },
      quota: { limit: settings.usagePlanQuotaPerDay, period: apigw.Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    const key = this.api.addApiKey('DefaultApiKey', {
      apiKeyName: `shop-${settings.stage}-default`,
      description: 'Default client key',
    });
    plan.addApiKey(key);

    this.api
      .metricServerError({ period: Duration.minutes(5) })
      .createAlarm(this, 'Api5xx', { alarmDescription: 'API 5xx responses', threshold: 5, evaluationPeriods: 1 })
      .addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'DefaultApiKeyId', {
      value: key.keyId,
      description: 'aws apigateway get-api-key --include-value --api-key <id>',
    });
  }
}
