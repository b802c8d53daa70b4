import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { functionBundling } from '../bundling.ts';

export const repoRoot = join(import.meta.dirname, '..', '..');

export interface ServiceFunctionProps {
  service: string;
  /** Path of the module exporting `handler`, relative to the repo root. */
  entry: string;
  description: string;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  vpc?: ec2.IVpc;
  securityGroups?: ec2.ISecurityGroup[];
  alarmTopic?: sns.ITopic;
  /** Extra files copied into the bundle (e.g. SQL migrations): [source dir relative to repo root, target dir in bundle]. */
  copyIntoBundle?: Array<[string, string]>;
}

/**
 * Every function of the platform, with the defaults set once: Node.js 24 on arm64, ESM bundle built by the
 * local esbuild (no Docker), minified with source maps, X-Ray tracing, Powertools settings, a log group with
 * retention, and an alarm on errors.
 */
export class ServiceFunction extends nodejs.NodejsFunction {
  /**
   * Its errors alarm, when `alarmTopic` is given. The catalog's functions get theirs in the Observability stack instead
   * (by the function's fixed name), which keeps the Api stack under CloudFormation's 500 resources.
   */
  readonly errorsAlarm?: cloudwatch.Alarm;
  /** The catalog service this function belongs to. */
  readonly service: string;

  /** Its fixed name, a plain string: other stacks (dashboard, alarms) name the function without a cross-stack export. */
  readonly fixedName: string;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const physicalName = physicalFunctionName(scope, id);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const copies = props.copyIntoBundle ?? [];
    const { alias, ...bundling } = functionBundling;
    super(scope, id, {
      entry: join(repoRoot, props.entry),
      handler: 'handler',
      functionName: physicalName,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : undefined,
      securityGroups: props.securityGroups,
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        // Lambda's Node.js runtimes trust the Amazon RDS / DocumentDB CA only when told to.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        POWERTOOLS_SERVICE_NAME: `shop-${props.service}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Shop',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        ...bundling,
        format: nodejs.OutputFormat.ESM,
        esbuildArgs: Object.fromEntries(Object.entries(alias).map(([from, to]) => [`--alias:${from}`, to])),
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) =>
            copies.map(
              ([from, to]) =>
                `mkdir -p "${outputDir}/${to}" && cp -r "${inputDir}/${from}/." "${outputDir}/${to}/" 2>/dev/null || true`,
            ),
        },
      },
    });
    this.service = props.service;
    this.fixedName = physicalName;
    if (props.alarmTopic) {
      this.errorsAlarm = this.metricErrors({ period: Duration.minutes(5) }).createAlarm(this, 'Errors', {
        alarmDescription: `${props.description}: errors`,
        threshold: 1,
        evaluationPeriods: 1,
      });
      this.errorsAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    }
  }
}

/** `<stack>-<path under the stack>`, e.g. `Shop-dev-Api-Fn-orders-place-order`; hashed down to Lambda's 64 characters. */
export function physicalFunctionName(scope: Construct, id: string): string {
  const stack = Stack.of(scope);
  const under = [...scope.node.scopes.slice(scope.node.scopes.indexOf(stack) + 1).map((c) => c.node.id), id].join('-');
  const name = `${stack.stackName}-${under}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (name.length <= 64) return name;
  return `${name.slice(0, 55)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}
