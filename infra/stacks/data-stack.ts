import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { TableSpec } from '../../shared/service.ts';
import type { DeploySettings } from '../config.ts';

/** Non-default ports (cdk-nag RDS11/DOC2); functions read host and port from the secrets. */
const POSTGRES_PORT = 5532;
const DOCUMENTDB_PORT = 27117;

/** Database logins rotate on this schedule (single-user rotation: each login changes its own password). */
const ROTATION = Duration.days(30);
/** The health check's login on both engines: it may connect and ping, and reads no data. */
export const MONITOR_LOGIN = 'shop_monitor';

export interface DataStackProps extends StackProps {
  settings: DeploySettings;
  tables: TableSpec[];
  /** Services that own a PostgreSQL database / a MongoDB-compatible database (the catalog's postgresServices()/mongoServices()). */
  postgresServices: string[];
  mongoServices: string[];
}

/**
 * Stores: the VPC, one RDS PostgreSQL instance (a database per owning service), one DocumentDB cluster
 * (a database per owning service), and the DynamoDB tables the manifests declare. In the LocalStack target
 * only the tables are created; Postgres and MongoDB are the compose file's containers.
 */
export class DataStack extends Stack {
  readonly vpc?: ec2.Vpc;
  readonly dataAccess?: ec2.SecurityGroup;
  /** Master credentials: read only by the migration triggers, which create the per-service logins. */
  readonly postgresSecret?: secretsmanager.ISecret;
  readonly mongoSecret?: secretsmanager.ISecret;
  /** Each service's own login (role `shop_<service>`), rotated; its functions read this secret and no other. */
  readonly postgresLogins = new Map<string, secretsmanager.ISecret>();
  readonly mongoLogins = new Map<string, secretsmanager.ISecret>();
  /** The health check's logins: CONNECT / ping only. */
  readonly postgresMonitorLogin?: secretsmanager.ISecret;
  readonly mongoMonitorLogin?: secretsmanager.ISecret;
  readonly tables = new Map<string, dynamodb.Table>();

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const removalPolicy = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    for (const spec of props.tables) {
      const table = new dynamodb.Table(this, `Table-${spec.name}`, {
        tableName: `shop-${settings.stage}-${spec.name}`,
        partitionKey: { name: spec.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: spec.sortKey ? { name: spec.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: spec.ttlAttribute,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        deletionProtection: settings.retainData,
        removalPolicy,
      });
      for (const index of spec.indexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
          sortKey: index.sortKey ? { name: index.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        });
      }
      this.tables.set(spec.name, table);
    }

    const needsPostgres = props.postgresServices.length > 0;
    const needsMongo = props.mongoServices.length > 0;
    if (settings.target === 'localstack' || (!needsPostgres && !needsMongo)) return;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    this.vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    this.dataAccess = new ec2.SecurityGroup(this, 'DataAccess', {
      vpc: this.vpc,
      description: 'Functions that reach the data stores',
    });

    if (needsPostgres) {
      const dbSg = new ec2.SecurityGroup(this, 'PostgresSg', { vpc: this.vpc, description: 'RDS PostgreSQL' });
      dbSg.addIngressRule(this.dataAccess, ec2.Port.tcp(POSTGRES_PORT), 'service functions');
      const instance = new rds.DatabaseInstance(this, 'Postgres', {
        engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_9 }),
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
        vpc: this.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [dbSg],
        credentials: rds.Credentials.fromGeneratedSecret('shop_admin'),
        port: POSTGRES_PORT,
        storageEncrypted: true,
        multiAz: settings.stage === 'prod',
        backupRetention: Duration.days(7),
        deletionProtection: settings.retainData,
        iamAuthentication: true,
        enablePerformanceInsights: false,
        cloudwatchLogsExports: ['postgresql'],
        removalPolicy: settings.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
        parameters: { 'rds.force_ssl': '1' },
      });
      // Rotation functions run where they reach both the database and the Secrets Manager endpoint (through the NAT).
      const rotationSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
      instance.addRotationSingleUser({ automaticallyAfter: ROTATION, vpcSubnets: rotationSubnets });
      this.postgresSecret = instance.secret!;
      const login = (id: string, username: string) => {
        const secret = new rds.DatabaseSecret(this, id, { username }).attach(instance);
        new secretsmanager.SecretRotation(this, `${id}Rotation`, {
          application: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
          secret,
          target: instance,
          vpc: this.vpc!,
          vpcSubnets: rotationSubnets,
          automaticallyAfter: ROTATION,
        });
        return secret;
      };
      for (const service of props.postgresServices)
        this.postgresLogins.set(service, login(`PostgresLogin-${service}`, `shop_${service}`));
      this.postgresMonitorLogin = login('PostgresLogin-monitor', MONITOR_LOGIN);
      if (settings.stage !== 'prod') {
        Validations.of(instance).acknowledge(
          {
            id: 'AwsSolutions::AwsSolutions-RDS3',
            reason: 'Single-AZ outside prod to keep test stages cheap; prod is Multi-AZ.',
          },
          {
            id: 'AwsSolutions::AwsSolutions-RDS10',
            reason: 'Deletion protection is on where data is retained (prod, -c retainData=true).',
          },
        );
      }
    }

    if (needsMongo) {
      const docSg = new ec2.SecurityGroup(this, 'DocumentDbSg', { vpc: this.vpc, description: 'DocumentDB' });
      docSg.addIngressRule(this.dataAccess, ec2.Port.tcp(DOCUMENTDB_PORT), 'service functions');
      const cluster = new docdb.DatabaseCluster(this, 'DocumentDb', {
        masterUser: { username: 'shop_admin' },
        port: DOCUMENTDB_PORT,
        // Audit logs carry authenticate, createIndex and dropCollection events; the profiler logs slow operations.
        parameterGroup: new docdb.ClusterParameterGroup(this, 'DocumentDbParams', {
          family: 'docdb5.0',
          description: 'Shop DocumentDB: TLS, audit and profiler logs',
          parameters: { tls: 'enabled', audit_logs: 'enabled', profiler: 'enabled', profiler_threshold_ms: '200' },
        }),
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
        instances: settings.stage === 'prod' ? 2 : 1,
        vpc: this.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroup: docSg,
        storageEncrypted: true,
        deletionProtection: settings.retainData,
        backup: { retention: Duration.days(7) },
        exportAuditLogsToCloudWatch: true,
        exportProfilerLogsToCloudWatch: true,
        removalPolicy: settings.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      });
      cluster.addRotationSingleUser(ROTATION);
      this.mongoSecret = cluster.secret!;
      const login = (id: string, username: string) => {
        const secret = new docdb.DatabaseSecret(this, id, { username }).attach(cluster);
        new secretsmanager.SecretRotation(this, `${id}Rotation`, {
          application: secretsmanager.SecretRotationApplication.MONGODB_ROTATION_SINGLE_USER,
          secret,
          target: cluster,
          vpc: this.vpc!,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          automaticallyAfter: ROTATION,
        });
        return secret;
      };
      for (const service of props.mongoServices)
        this.mongoLogins.set(service, login(`DocumentDbLogin-${service}`, `shop_${service}`));
      this.mongoMonitorLogin = login('DocumentDbLogin-monitor', MONITOR_LOGIN);
      const auditReason =
        'DocumentDB exports only `audit` and `profiler` logs; the audit export is on and the audit_logs parameter records authenticate, createIndex and dropCollection.';
      Validations.of(cluster).acknowledge(
        { id: 'AwsSolutions::AwsSolutions-DOC5[LogExport::authenticate]', reason: auditReason },
        { id: 'AwsSolutions::AwsSolutions-DOC5[LogExport::createIndex]', reason: auditReason },
        { id: 'AwsSolutions::AwsSolutions-DOC5[LogExport::dropCollection]', reason: auditReason },
      );
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions::AwsSolutions-DOC3',
        reason:
          'The master credentials are generated into Secrets Manager by the construct and rotated every 30 days; the rule cannot resolve the secret reference.',
      });
    }
  }
}
