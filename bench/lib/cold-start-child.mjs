// One fresh "Lambda container" for bench/cold-start.ts: imports a bundle, reports the time since process start and RSS;
// in warm mode it then calls the handler 1,000 times with an event that needs no engine, if such a call exists.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, mode, eventJson, resultFile] = process.argv.slice(2);
const mod = await import(pathToFileURL(bundle).href);
const result = { initMs: performance.now(), rssInitMb: process.memoryUsage().rss / 2 ** 20 };

if (mode === 'warm') {
  let sockets = 0;
  subscribe('net.client.socket', () => sockets++);
  const event = JSON.parse(eventJson);
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: 'bench',
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
  };
  const call = async () => {
    try {
      const out = await mod.handler(structuredClone(event), context);
      return out?.statusCode ?? 'ok';
    } catch (error) {
      return `threw ${String(error?.message ?? error).slice(0, 40)}`;
    }
  };
  const first = await Promise.race([call(), new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
  result.firstCall = first;
  if (sockets > 0 || first === 'timeout') {
    result.warm = 'needs engines';
  } else {
    for (let i = 0; i < 999; i++) await call();
    result.warm = sockets ? 'needs engines' : 'ok';
    result.rssWarmMb = process.memoryUsage().rss / 2 ** 20;
  }
}
writeFileSync(resultFile, JSON.stringify(result));
process.exit(0);
