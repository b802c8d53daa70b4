import * as z from 'zod';

/**
 * Configuration is read from the environment and validated once per container, at first use.
 * Nothing else in the codebase reads process.env.
 */
const PlatformEnv = z.object({
  STAGE: z.string().default('local'),
  AWS_REGION: z.string().default('us-east-1'),
  EVENT_BUS_NAME: z.string().default('shop-events'),
  /** Comma-separated origins allowed by CORS; `*` only makes sense offline. */
  CORS_ALLOWED_ORIGINS: z.string().default('*'),
  /** Largest JSON body a handler accepts, in bytes. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  MONGODB_URI: z.string().optional(),
  /** Secrets Manager ARN of the DocumentDB credentials (AWS), used when MONGODB_URI is unset. */
  MONGODB_SECRET_ARN: z.string().optional(),
  /** A DynamoDB-compatible endpoint (dynalite offline); unset in AWS. */
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  EVENTBRIDGE_ENDPOINT: z.string().url().optional(),
  SFN_ENDPOINT: z.string().url().optional(),
  SQS_ENDPOINT: z.string().url().optional(),
  /** `true` offline and in tests: EMF metrics are for CloudWatch (offline they are served at /metrics instead). */
  POWERTOOLS_METRICS_DISABLED: z.enum(['true', 'false']).default('false'),
  /** LocalStack target only: no API Gateway authorizer there, so non-public routes verify the bearer token themselves. */
  AUTHORIZE_IN_FUNCTION: z.enum(['true', 'false']).default('false'),
  /** Base URLs of other services for synchronous calls, e.g. SERVICE_URL_PRODUCTS. */
  API_BASE_URL: z.string().url().optional(),
});
export type PlatformConfig = z.infer<typeof PlatformEnv> & {
  /** Connection string per Postgres-owning service, from DATABASE_URL_<SERVICE>. */
  databaseUrls: Record<string, string>;
  /** Secrets Manager ARN per Postgres-owning service (AWS), from DATABASE_SECRET_ARN_<SERVICE>. */
  databaseSecretArns: Record<string, string>;
  /** Names of DynamoDB tables, from TABLE_<NAME>. */
  tables: Record<string, string>;
  /** MongoDB URI per Mongo-owning service (its own user), from MONGODB_URI_<SERVICE>; MONGODB_URI otherwise. */
  mongoUris: Record<string, string>;
  /** Secrets Manager ARN of each Mongo-owning service's DocumentDB user (AWS), from MONGODB_SECRET_ARN_<SERVICE>. */
  mongoSecretArns: Record<string, string>;
};

let cached: PlatformConfig | undefined;

function collect(env: NodeJS.ProcessEnv, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(prefix) && value) out[key.slice(prefix.length).toLowerCase()] = value;
  }
  return out;
}

/** Validates the environment against a schema; every problem is named in one error, at start. */
function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function parseConfig(env: NodeJS.ProcessEnv): PlatformConfig {
  return {
    ...parseEnv(PlatformEnv, env),
    databaseUrls: collect(env, 'DATABASE_URL_'),
    databaseSecretArns: collect(env, 'DATABASE_SECRET_ARN_'),
    tables: collect(env, 'TABLE_'),
    mongoUris: collect(env, 'MONGODB_URI_'),
    mongoSecretArns: collect(env, 'MONGODB_SECRET_ARN_'),
  };
}

export function config(): PlatformConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/** For tests and the offline runtime, which set the environment after import. */
export function resetConfig(): void {
  cached = undefined;
}

/** Service-specific settings: validated once per schema, from the same environment. */
const serviceConfigs = new Map<z.ZodType, unknown>();
export function serviceConfig<S extends z.ZodType>(schema: S): z.infer<S> {
  if (!serviceConfigs.has(schema)) serviceConfigs.set(schema, parseEnv(schema, process.env));
  return serviceConfigs.get(schema) as z.infer<S>;
}
export function resetServiceConfigs(): void {
  serviceConfigs.clear();
}
