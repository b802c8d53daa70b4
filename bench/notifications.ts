/**
 * Throughput of the notifications consumer: SQS batches of 1 and of 10 through the real handler (parse, schema check,
 * claim under the unique index, render, recording provider, record) on FerretDB v1.24.2, the offline engine.
 * Starts its own FerretDB on a free loopback port in a temp dir; bounded loops.
 * Run: npx tsx bench/notifications.ts [messages=300] [batch sizes=1,10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { orderConfirmed, registered, sqsRecord } from '../functions/notifications/test-support.ts';
import { startFerretDB } from '../infra/offline/engines/ferretdb.ts';
import { ferretdbBinary } from '../infra/offline/engines/index.ts';
import { freePort } from '../infra/offline/engines/ports.ts';
import { resetConfig } from '../shared/config.ts';
import { closeMongo } from '../shared/db/mongo.ts';
import { newId } from '../shared/ids.ts';
import { recordResults, table } from './lib/results.ts';

const total = Number(process.argv[2] ?? 300);
const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-'));
const port = await freePort();
const engine = await startFerretDB({ dataDir, port, binary: ferretdbBinary });
Object.assign(process.env, {
  MONGODB_URI: `mongodb://127.0.0.1:${port}/`,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
resetConfig();
try {
  const { handler } = await import('../functions/notifications/handlers/consume-events.ts');
  const service = await (await import('../functions/notifications/composition.ts')).notificationsService();
  const consume = (records: ReturnType<typeof sqsRecord>[]) => handler({ Records: records } as SQSEvent);
  // Contacts first (their own welcome mails are not counted), then one order.confirmed email per message.
  const users = Array.from({ length: 50 }, () => newId('usr'));
  for (const userId of users) await consume([sqsRecord(registered(userId))]);

  const rows: Array<Array<string | number>> = [];
  const results: Record<string, number> = {};
  for (const batchSize of (process.argv[3] ?? '1,10').split(',').map(Number)) {
    // Each size starts from an empty history: FerretDB 1.24 scans on every update, so a fuller one is slower.
    await Promise.all([service.history.clear(), service.recorded.clear()]);
    const records = Array.from({ length: total }, (_, i) => sqsRecord(orderConfirmed(users[i % users.length]!)));
    const started = performance.now();
    let failed = 0;
    for (let i = 0; i < records.length; i += batchSize)
      failed += (await consume(records.slice(i, i + batchSize))).batchItemFailures.length;
    const seconds = (performance.now() - started) / 1000;
    // The same messages again: each one a duplicate (one read, nothing sent).
    const again = performance.now();
    for (let i = 0; i < records.length; i += batchSize) await consume(records.slice(i, i + batchSize));
    const dupSeconds = (performance.now() - again) / 1000;
    rows.push([
      batchSize,
      total,
      failed,
      (total / seconds).toFixed(1),
      ((seconds * 1000) / (total / batchSize)).toFixed(1),
      (total / dupSeconds).toFixed(1),
    ]);
    results[`batch${batchSize}PerSecond`] = Number((total / seconds).toFixed(1));
    results[`batch${batchSize}DuplicatesPerSecond`] = Number((total / dupSeconds).toFixed(1));
  }
  console.log(table(['batch size', 'messages', 'failed', 'notifications/s', 'ms per batch', 'redelivered duplicates/s'], rows));
  recordResults('notifications', { messages: total, ...results });
} finally {
  await closeMongo();
  await engine.stop();
  await rm(dataDir, { recursive: true, force: true });
}
