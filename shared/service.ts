import type { Access } from './http/handler.ts';

/**
 * The service manifest format. Every service describes itself once in `functions/<service>/service.ts`;
 * CDK (infra/) and the offline runtime (infra/offline/) both build everything from these manifests.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway resource path, e.g. `/users/{id}`. */
  path: string;
  /** Module under the service folder exporting `handler`, e.g. `handlers/get-user`. */
  handler: string;
  access: Access;
  summary: string;
  /** Per-route throttling in requests per second (API Gateway method throttling; enforced offline too). */
  throttle?: { rateLimit: number; burstLimit: number };
  timeoutSeconds?: number;
  memoryMb?: number;
  /** Whether callers must send an API key (usage plans meter and throttle per key). Default true. */
  apiKeyRequired?: boolean;
  /**
   * The function checks every service's stores (the health route): it gets their connection settings, network
   * access and read-only probe rights (secrets read, DynamoDB DescribeTable), never their data.
   */
  probesEveryStore?: boolean;
  /** Package files the function reads at run time, copied into its bundle: [dir relative to the repo root, dir in the bundle]. */
  bundle?: Array<[string, string]>;
}

/** What every subscription rule matches besides its detail-types: events from this platform's services only. */
export const SUBSCRIPTION_SOURCE_PREFIX = 'shop.';
/** Receives of one message before its subscription's queue moves it to the DLQ (CDK and the offline bus). */
export const SUBSCRIPTION_MAX_RECEIVES = 3;

/** An EventBridge rule delivering matching events to an SQS queue (with DLQ) drained by one function. */
export interface SubscriptionSpec {
  name: string;
  /** Event names (`detail-type`), e.g. `order.created`. */
  events: string[];
  handler: string;
  batchSize?: number;
  /** Seconds the event source may wait to fill a batch (bounds the added latency); unset: no wait. */
  batchWindowSeconds?: number;
  /** People the consumer reaches: through SES (email) and SNS (SMS) when the deploy turns them on (`-c messaging=aws`). */
  sends?: Array<'email' | 'sms'>;
}

/** A function invoked by the order saga state machine for the state of that name. */
export interface SagaTaskSpec {
  state: string;
  handler: string;
}

/** A function run on a schedule (e.g. the outbox relay sweep). */
export interface ScheduleSpec {
  name: string;
  everyMinutes: number;
  handler: string;
}

export interface TableSpec {
  /** Logical name; the physical name reaches functions as TABLE_<NAME>. */
  name: string;
  partitionKey: string;
  sortKey?: string;
  ttlAttribute?: string;
  /** Global secondary indexes, keys are string attributes. */
  indexes?: Array<{ name: string; partitionKey: string; sortKey?: string }>;
}

export interface ServiceManifest {
  name: string;
  description: string;
  /** What the service owns: its own PostgreSQL database, MongoDB-compatible database, DynamoDB tables. */
  stores: { postgres?: boolean; mongo?: boolean; tables?: TableSpec[] };
  routes: RouteSpec[];
  subscriptions?: SubscriptionSpec[];
  sagaTasks?: SagaTaskSpec[];
  schedules?: ScheduleSpec[];
  /** Events this service publishes (detail-types); a unit test holds it equal to the events registry. */
  publishes?: string[];
  /** The API's Lambda authorizer (only the gateway service has one). */
  authorizer?: { handler: string; resultTtlSeconds: number };
}

export function defineService<M extends ServiceManifest>(manifest: M): M {
  const seen = new Set<string>();
  for (const route of manifest.routes) {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) throw new Error(`${manifest.name}: route ${key} is declared twice`);
    seen.add(key);
    if (!route.path.startsWith('/')) throw new Error(`${manifest.name}: route path ${route.path} must start with /`);
  }
  return manifest;
}

/** Name of a function as CDK and the offline runtime both call it. */
export function functionId(service: string, handler: string): string {
  return `${service}-${handler.replace(/^handlers\//, '').replace(/[^a-zA-Z0-9]+/g, '-')}`;
}
