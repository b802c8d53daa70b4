// npm run cost: the monthly AWS bill per million orders, by component, read from the synthesized templates (functions'
// memory, alarms, secrets, database sizes, NAT gateways) and the saga's ASL (state transitions per path), with the
// durations measured in bench/ where there are any. Prices: us-east-1 list prices, arm64 Lambda, on-demand everything.
//   npx tsx scripts/cost.ts [--orders 1000000] [--stage dev|prod] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { services } from '../functions/catalog.ts';
import { buildApp } from '../infra/app.ts';
import { type AslDefinition, readOrderSaga } from '../infra/saga-definition.ts';
import type { CfnResource } from '../infra/synth.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '1000000' },
    stage: { type: 'string', default: 'dev' },
    json: { type: 'boolean' },
  },
});
const ORDERS = Number(values.orders);
const HOURS_PER_MONTH = 730;

/** us-east-1 list prices (USD), as published when this was written; check https://aws.amazon.com/pricing before relying on them. */
export const PRICES = {
  apiGatewayRestPerMillion: 3.5,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  stepFunctionsStandardPerThousandTransitions: 0.025,
  stepFunctionsExpressPerMillionRequests: 1.0,
  stepFunctionsExpressPerGbSecond: 0.00001667,
  eventBridgePerMillionEvents: 1.0,
  sqsPerMillionRequests: 0.4,
  dynamoDbPerMillionWrites: 0.625,
  dynamoDbPerMillionReads: 0.125,
  cloudWatchLogsPerGb: 0.5,
  xrayPerMillionTraces: 5.0,
  secretPerMonth: 0.4,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3.0,
  natGatewayPerHour: 0.045,
  natGatewayPerGb: 0.045,
  rdsT4gMicroPerHour: 0.016,
  rdsGp2PerGbMonth: 0.115,
  docDbT4gMediumPerHour: 0.078,
  docDbStoragePerGbMonth: 0.1,
  docDbPerMillionIo: 0.2,
} as const;

/** What one order costs in requests, stated so anyone can change it. */
export const ASSUMPTIONS = {
  /** API calls of one customer journey ending in an order (browse, look, sign in or refresh, order, poll, check payment). */
  apiCallsPerOrder: {
    'GET /products': 4,
    'GET /products/{id}': 2,
    'POST /login': 0.2,
    'POST /token/refresh': 1,
    'POST /orders': 1,
    'GET /orders/{id}': 3,
    'GET /payments/order/{orderId}': 1,
  } as Record<string, number>,
  /** The authorizer caches its answer per token for 300 s: about one call per journey. */
  authorizerCallsPerOrder: 1,
  /** Share of orders that are compensated (declined, no stock, confirmation failed). */
  compensatedShare: 0.05,
  /** Events per order (the saga contract): created, payment initiated, completed or failed, confirmed or cancelled. */
  eventsPerOrder: 4,
  /** Two lines per order; stock is one conditional write per line inside a transaction (2 WCU each) plus the reservation item. */
  dynamoWritesPerOrder: 2 * 2 * 2 + 2 * 2,
  dynamoReadsPerOrder: 4,
  /** SQS requests per delivered message: EventBridge's send, the poller's receive, the delete (batched pollers do better). */
  sqsRequestsPerMessage: 3,
  /** Log bytes per invocation (structured JSON lines, Lambda's START/END/REPORT). */
  logBytesPerInvocation: 1500,
  /** X-Ray's default sampling: the first request each second, then 5%. */
  tracedShare: 0.05,
  /** Data a NAT gateway processes per order (Secrets Manager, EventBridge, Step Functions calls from VPC functions). */
  natBytesPerOrder: 20_000,
  /** Database storage and DocumentDB I/O at this volume (per month). */
  docDbGb: 10,
  docDbIoPerOrder: 20,
};

/** The slice of bench/results/latest.json this script reads. */
type BenchResults = {
  payments?: { results?: Record<string, { p50?: number }> };
  notifications?: { batch10PerSecond?: number };
};

/** Milliseconds per invocation: bench/ figures where measured, else a stated guess (the `source` says which). */
function durations(): Record<string, { ms: number; source: string }> {
  const file = join(import.meta.dirname, '..', 'bench', 'results', 'latest.json');
  const latest = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults) : {};
  const payment = latest.payments?.results?.['ProcessPayment, +50 ms']?.p50 as number | undefined;
  const notifications = latest.notifications?.batch10PerSecond as number | undefined;
  return {
    'POST /login': { ms: 96, source: 'bench/auth.ts, login at c=1 (scrypt)' },
    'POST /token/refresh': { ms: 11, source: 'bench/auth.ts, refresh' },
    ProcessPayment: {
      ms: payment ?? 82,
      source: 'bench/payments.ts, ProcessPayment with 50 ms processor latency (p50)',
    },
    'notifications.events': {
      ms: notifications ? 1000 / notifications : 156,
      source: 'bench/notifications.ts, batches of 10 (per message)',
    },
    authorizer: { ms: 5, source: 'guess: an ES256 verify with the key cached (cold start: bench/cold-start.ts)' },
    'GET /products': { ms: 60, source: 'guess on DocumentDB with indexes (offline FerretDB scans: bench/products-search.ts)' },
    default: { ms: 40, source: 'guess: one or two indexed queries and a response' },
  };
}

/** The states an execution enters, following `detours` (state -> next) where it should not take the happy path. */
export function walk(definition: AslDefinition, detours: Record<string, string> = {}): string[] {
  const path: string[] = [];
  let at: string | undefined = definition.StartAt;
  while (at && path.length < 100) {
    path.push(at);
    const state: AslDefinition['States'][string] = definition.States[at]!;
    if (detours[at]) at = detours[at];
    else if (state.Type === 'Choice') at = state.Default;
    else at = state.End || state.Type === 'Succeed' || state.Type === 'Fail' ? undefined : state.Next;
  }
  return path;
}

interface Line {
  component: string;
  perMillionOrders: number;
  note: string;
}

const built = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [], stage: values.stage } }));
const templates = built.app.node.children
  .filter(Stack.isStack)
  .map((s) => ({ name: s.stackName, resources: Template.fromStack(s).toJSON().Resources as Record<string, CfnResource> }));
const all = templates.flatMap((t) => Object.values(t.resources));
const ofType = (type: string) => all.filter((r) => r.Type === type);
const functions = ofType('AWS::Lambda::Function').filter((f) => f.Properties.Description);
const memoryOf = (description: RegExp): number =>
  functions.find((f) => description.test(String(f.Properties.Description)))?.Properties.MemorySize ?? 128;
const ms = durations();

// Lambda: API routes, the authorizer, saga tasks, event consumers.
const lambdaLines: Array<{ what: string; invocations: number; memoryMb: number; ms: number; source: string }> = [];
for (const [route, calls] of Object.entries(ASSUMPTIONS.apiCallsPerOrder)) {
  const [method, path] = route.split(' ');
  const memoryMb = memoryOf(new RegExp(`: ${method} ${path!.replace(/[{}]/g, '\\$&')} \\(`));
  const d = ms[route] ?? ms.default!;
  lambdaLines.push({ what: route, invocations: calls, memoryMb, ms: d.ms, source: d.source });
}
lambdaLines.push({
  what: 'authorizer',
  invocations: ASSUMPTIONS.authorizerCallsPerOrder,
  memoryMb: memoryOf(/authorizer/),
  ms: ms.authorizer!.ms,
  source: ms.authorizer!.source,
});
const saga = readOrderSaga();
const happyPath = walk(saga);
const compensatedPath = walk(saga, { ProcessPayment: 'PaymentDeclined' });
const tasksOn = (path: string[]) => path.filter((s) => saga.States[s]!.Type === 'Task');
const taskShare = new Map<string, number>();
for (const s of tasksOn(happyPath)) taskShare.set(s, (taskShare.get(s) ?? 0) + (1 - ASSUMPTIONS.compensatedShare));
for (const s of tasksOn(compensatedPath)) taskShare.set(s, (taskShare.get(s) ?? 0) + ASSUMPTIONS.compensatedShare);
for (const [state, share] of taskShare) {
  const d = ms[state] ?? ms.default!;
  lambdaLines.push({
    what: `saga ${state}`,
    invocations: share,
    memoryMb: memoryOf(new RegExp(`saga task ${state}$`)),
    ms: d.ms,
    source: d.source,
  });
}
const emitted = ['order.created', 'payment.initiated', 'payment.completed', 'order.confirmed'];
for (const service of services)
  for (const sub of service.subscriptions ?? []) {
    const messages = emitted.filter((e) => sub.events.includes(e)).length;
    if (!messages) continue;
    const key = `${service.name}.${sub.name}`;
    const d = ms[key] ?? ms.default!;
    lambdaLines.push({
      what: `consumer ${key}`,
      invocations: messages,
      memoryMb: memoryOf(new RegExp(`^${service.name}: consumes`)),
      ms: d.ms,
      source: d.source,
    });
  }
const invocationsPerOrder = lambdaLines.reduce((n, l) => n + l.invocations, 0);
const gbSecondsPerOrder = lambdaLines.reduce((n, l) => n + l.invocations * (l.memoryMb / 1024) * (l.ms / 1000), 0);
const sqsMessagesPerOrder = lambdaLines.filter((l) => l.what.startsWith('consumer ')).reduce((n, l) => n + l.invocations, 0);

const transitions = (1 - ASSUMPTIONS.compensatedShare) * happyPath.length + ASSUMPTIONS.compensatedShare * compensatedPath.length;
const sagaTaskSeconds = lambdaLines
  .filter((l) => l.what.startsWith('saga '))
  .reduce((n, l) => n + l.invocations * (l.ms / 1000), 0);
const apiCalls = Object.values(ASSUMPTIONS.apiCallsPerOrder).reduce((a, b) => a + b, 0);
const M = 1_000_000;

const lines: Line[] = [
  {
    component: 'API Gateway (REST)',
    perMillionOrders: apiCalls * PRICES.apiGatewayRestPerMillion,
    note: `${apiCalls} requests per order`,
  },
  {
    component: 'Lambda',
    perMillionOrders: gbSecondsPerOrder * M * PRICES.lambdaArmPerGbSecond + invocationsPerOrder * PRICES.lambdaPerMillionRequests,
    note: `${invocationsPerOrder.toFixed(1)} invocations, ${(gbSecondsPerOrder * 1000).toFixed(1)} GB-ms per order (memory from the template)`,
  },
  {
    component: 'Step Functions (Standard)',
    perMillionOrders: transitions * M * (PRICES.stepFunctionsStandardPerThousandTransitions / 1000),
    note: `${happyPath.length} transitions happy path, ${compensatedPath.length} compensated (payment declined); ${ASSUMPTIONS.compensatedShare * 100}% compensated`,
  },
  {
    component: 'EventBridge',
    perMillionOrders: ASSUMPTIONS.eventsPerOrder * PRICES.eventBridgePerMillionEvents,
    note: `${ASSUMPTIONS.eventsPerOrder} custom events per order`,
  },
  {
    component: 'SQS',
    perMillionOrders: sqsMessagesPerOrder * ASSUMPTIONS.sqsRequestsPerMessage * PRICES.sqsPerMillionRequests,
    note: `${sqsMessagesPerOrder} subscribed messages per order, ${ASSUMPTIONS.sqsRequestsPerMessage} requests each`,
  },
  {
    component: 'DynamoDB (on demand)',
    perMillionOrders:
      ASSUMPTIONS.dynamoWritesPerOrder * PRICES.dynamoDbPerMillionWrites +
      ASSUMPTIONS.dynamoReadsPerOrder * PRICES.dynamoDbPerMillionReads,
    note: `${ASSUMPTIONS.dynamoWritesPerOrder} WRU, ${ASSUMPTIONS.dynamoReadsPerOrder} RRU per order (stock reservation, commit)`,
  },
  {
    component: 'CloudWatch Logs',
    perMillionOrders: ((invocationsPerOrder * ASSUMPTIONS.logBytesPerInvocation * M) / 1e9) * PRICES.cloudWatchLogsPerGb,
    note: `${ASSUMPTIONS.logBytesPerInvocation} bytes per invocation`,
  },
  {
    component: 'X-Ray',
    perMillionOrders: apiCalls * ASSUMPTIONS.tracedShare * PRICES.xrayPerMillionTraces,
    note: `${ASSUMPTIONS.tracedShare * 100}% of requests traced`,
  },
  {
    component: 'NAT gateway data',
    perMillionOrders: ((ASSUMPTIONS.natBytesPerOrder * M) / 1e9) * PRICES.natGatewayPerGb,
    note: `${ASSUMPTIONS.natBytesPerOrder / 1000} kB per order through NAT`,
  },
];

// Fixed monthly costs, whatever the volume.
const natGateways = ofType('AWS::EC2::NatGateway').length;
const rds = ofType('AWS::RDS::DBInstance');
const docDbInstances = ofType('AWS::DocDB::DBInstance');
const fixed: Line[] = [
  {
    component: 'Alarms',
    perMillionOrders: ofType('AWS::CloudWatch::Alarm').length * PRICES.alarmPerMonth,
    note: `${ofType('AWS::CloudWatch::Alarm').length} alarms`,
  },
  { component: 'Dashboard', perMillionOrders: ofType('AWS::CloudWatch::Dashboard').length * PRICES.dashboardPerMonth, note: '' },
  {
    component: 'Secrets',
    perMillionOrders: ofType('AWS::SecretsManager::Secret').length * PRICES.secretPerMonth,
    note: `${ofType('AWS::SecretsManager::Secret').length} secrets (per-service database logins, masters, JWT key)`,
  },
  {
    component: 'NAT gateways',
    perMillionOrders: natGateways * HOURS_PER_MONTH * PRICES.natGatewayPerHour,
    note: `${natGateways} NAT gateway(s)`,
  },
];
const databases: Line[] = [
  ...rds.map((r) => ({
    component: `RDS PostgreSQL ${r.Properties.DBInstanceClass}${r.Properties.MultiAZ ? ' Multi-AZ' : ''}`,
    perMillionOrders:
      HOURS_PER_MONTH * PRICES.rdsT4gMicroPerHour * (r.Properties.MultiAZ ? 2 : 1) +
      Number(r.Properties.AllocatedStorage ?? 100) * PRICES.rdsGp2PerGbMonth * (r.Properties.MultiAZ ? 2 : 1),
    note: `${r.Properties.AllocatedStorage ?? 100} GB gp2; users, orders, payments databases on one instance`,
  })),
  ...(docDbInstances.length
    ? [
        {
          component: `DocumentDB ${docDbInstances.length} × ${docDbInstances[0]!.Properties.DBInstanceClass}`,
          perMillionOrders:
            docDbInstances.length * HOURS_PER_MONTH * PRICES.docDbT4gMediumPerHour +
            ASSUMPTIONS.docDbGb * PRICES.docDbStoragePerGbMonth +
            ((ASSUMPTIONS.docDbIoPerOrder * ORDERS) / M) * PRICES.docDbPerMillionIo,
          note: `${ASSUMPTIONS.docDbGb} GB, ${ASSUMPTIONS.docDbIoPerOrder} I/Os per order; products, notifications databases`,
        },
      ]
    : []),
];

const scale = ORDERS / M;
const variableTotal = lines.reduce((n, l) => n + l.perMillionOrders, 0) * scale;
const fixedTotal = fixed.reduce((n, l) => n + l.perMillionOrders, 0);
const databaseTotal = databases.reduce((n, l) => n + l.perMillionOrders, 0);
const express =
  ORDERS * (PRICES.stepFunctionsExpressPerMillionRequests / M) +
  sagaTaskSeconds * ORDERS * (64 / 1024) * PRICES.stepFunctionsExpressPerGbSecond;

const usd = (n: number) => `$${n.toFixed(2)}`;
if (values.json) {
  console.log(
    JSON.stringify({ orders: ORDERS, stage: values.stage, lines, fixed, databases, lambda: lambdaLines, express }, null, 2),
  );
} else {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(`# Monthly AWS cost for ${ORDERS.toLocaleString('en-US')} orders (stage ${values.stage}, us-east-1 list prices)\n`);
  console.log(row(['component', 'USD / month', 'assumption']));
  console.log(row(['---', '---:', '---']));
  for (const l of lines) console.log(row([l.component, usd(l.perMillionOrders * scale), l.note]));
  console.log(row(['**per-order total**', `**${usd(variableTotal)}**`, `$${(variableTotal / ORDERS).toFixed(6)} per order`]));
  for (const l of fixed) console.log(row([`${l.component} (fixed)`, usd(l.perMillionOrders), l.note]));
  console.log(row(['**fixed total**', `**${usd(fixedTotal)}**`, 'whatever the volume']));
  for (const l of databases) console.log(row([`${l.component} (database)`, usd(l.perMillionOrders), l.note]));
  console.log(row(['**databases total**', `**${usd(databaseTotal)}**`, 'priced separately: instance hours dominate']));
  console.log(
    `\nSaga on Express instead of Standard: ${usd(express)} instead of ${usd(lines[2]!.perMillionOrders * scale)} (see docs/decisions/0010-saga-standard-vs-express.md).`,
  );
  console.log('\nLambda by function (per order):');
  console.log(row(['function', 'invocations', 'memory MB', 'ms', 'duration source']));
  console.log(row(['---', '---:', '---:', '---:', '---']));
  for (const l of lambdaLines)
    console.log(row([l.what, l.invocations.toFixed(2), String(l.memoryMb), l.ms.toFixed(0), l.source]));
  console.log(`\nHappy path: ${happyPath.join(' → ')}\nCompensated (declined): ${compensatedPath.join(' → ')}`);
}
