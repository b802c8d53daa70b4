import { type Stack, Validations } from 'aws-cdk-lib';

/** cdk-nag (AwsSolutions) findings this platform accepts, each with its reason. Everything else fails synth. */
const accepted: Array<{ id: string; reason: string }> = [
  {
    id: 'AwsSolutions::AwsSolutions-APIG2',
    reason:
      'Every handler validates body, path, query and headers with zod (one schema per route, also the OpenAPI source); a second copy as API Gateway models would drift.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-APIG3',
    reason:
      'WAF is an account-level choice with its own cost; the API has per-key usage plans and stage throttling. Attach a web ACL per environment.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-APIG4',
    reason:
      'Only routes the catalog marks public (health, catalog browsing, register, login, JWKS) have no authorizer; every other route uses the Lambda authorizer.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-COG4',
    reason: 'Identity is owned by the users service (JWT ES256 verified by a Lambda authorizer), not Cognito.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'AWS-managed policy limited to writing the function its own logs.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    reason: 'AWS-managed policy limited to the ENI management a function in a VPC needs.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason: 'The account-level role API Gateway needs for execution logs.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray PutTraceSegments/PutTelemetryRecords accept no resource scoping; neither does SNS Publish to a phone number (SMS), granted only to a subscription that sends SMS when deployed with -c messaging=aws.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-SMG4',
    reason:
      'The JWT signing key is rotated by the users service (new key id published in the JWKS, old key kept for verification); database secrets rotate every 30 days.',
  },
  {
    id: 'AwsSolutions::AwsSolutions-L1',
    reason: 'Functions use nodejs24.x, the newest Node.js runtime; the rule lags behind runtime releases.',
  },
];

export function applyNagSuppressions(stack: Stack): void {
  for (const a of accepted) Validations.of(stack).acknowledge(a);
}
