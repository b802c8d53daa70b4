/** Connection details as RDS and DocumentDB store them in Secrets Manager. */
export interface DatabaseSecret {
  username: string;
  password: string;
  host: string;
  port: number;
}

/** Reads a database secret once per cold start (the SDK client is loaded only where a secret is used: AWS). */
export async function readDatabaseSecret(secretArn: string): Promise<DatabaseSecret> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
  return JSON.parse(secret.SecretString ?? '{}') as DatabaseSecret;
}

/** A PostgreSQL URL from a secret (TLS required, the server's certificate checked against the Amazon RDS CA). */
export function postgresUrl(s: DatabaseSecret, database: string): string {
  const u = encodeURIComponent;
  return `postgres://${u(s.username)}:${u(s.password)}@${s.host}:${s.port}/${database}?sslmode=require`;
}
