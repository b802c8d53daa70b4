import { App, Duration, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { allTables, mongoServices, postgresServices, services } from '../functions/catalog.ts';
import { settingsFrom } from './config.ts';
import { ServiceFunction } from './constructs/service-function.ts';
import { applyNagSuppressions } from './nag.ts';
import { orderSagaName } from './saga-definition.ts';
import { ApiStack, dlqName } from './stacks/api-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { MessagingStack } from './stacks/messaging-stack.ts';
import { ObservabilityStack } from './stacks/observability-stack.ts';
import { SagaStack } from './stacks/saga-stack.ts';

/** Builds the whole platform from the service catalog. Exported for the infra tests. */
export function buildApp(app = new App()) {
  // Cross-stack references stay strong: a consumer stack protects the resources it imports.
  if (app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences') === undefined) {
    app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  }
  const settings = settingsFrom(app);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const prefix = `Shop-${settings.stage}`;
  const messaging = new MessagingStack(app, `${prefix}-Messaging`, { env, settings });
  const data = new DataStack(app, `${prefix}-Data`, {
    env,
    settings,
    tables: allTables(),
    postgresServices: postgresServices(),
    mongoServices: mongoServices(),
  });
  const api = new ApiStack(app, `${prefix}-Api`, {
    env,
    settings,
    services,
    bus: messaging.bus,
    alarmTopic: messaging.alarmTopic,
    tables: data.tables,
    vpc: data.vpc,
    dataAccess: data.dataAccess,
    postgresSecret: data.postgresSecret,
    mongoSecret: data.mongoSecret,
    postgresLogins: data.postgresLogins,
    mongoLogins: data.mongoLogins,
    postgresMonitorLogin: data.postgresMonitorLogin,
    mongoMonitorLogin: data.mongoMonitorLogin,
  });
  const saga = new SagaStack(app, `${prefix}-Saga`, {
    env,
    settings,
    sagaTasks: api.sagaTasks,
    alarmTopic: messaging.alarmTopic,
  });
  const observability = new ObservabilityStack(app, `${prefix}-Observability`, {
    env,
    settings,
    apiName: api.api.restApiName,
    functions: api.node
      .findAll()
      .filter((c): c is ServiceFunction => c instanceof ServiceFunction)
      .map((fn) => ({
        service: fn.service,
        name: fn.fixedName,
        label: fn.node.id,
        timeout: fn.timeout ?? Duration.seconds(3),
        hasErrorsAlarm: fn.errorsAlarm !== undefined,
      })),
    dlqs: new Map([...api.dlqs.keys()].map((path) => [path, dlqName(settings.stage, path)])),
    sagaStateMachineName: orderSagaName(settings.stage),
    alarmTopic: messaging.alarmTopic,
  });
  Tags.of(app).add('project', 'shop');
  Tags.of(app).add('stage', settings.stage);
  for (const stack of [messaging, data, api, saga, observability]) applyNagSuppressions(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, settings, messaging, data, api, saga, observability };
}

if (process.argv[1]?.endsWith('infra/app.ts')) {
  buildApp().app.synth();
}
