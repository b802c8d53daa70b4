// Counts what a process sends and serves, for bench/README.md's "what one order costs": preload it into the processes
// a bench launches, e.g. BENCH_ORDERS_ONLY=1 BENCH_NODE_ARGS="--import ./bench/lib/count-requests.mjs" npx tsx bench/load.ts
// Every 2 s and at exit it writes <tmpdir>/request-counts-<pid>.json: HTTP requests by port and operation (AWS JSON
// targets included), SQL statements, and MongoDB calls by collection and filter keys. Startup is counted too.
import dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const counts = new Map();
const count = (key) => counts.set(key, (counts.get(key) ?? 0) + 1);
const ids = /(ord|prd|pay|usr|ntf)_[0-9A-Za-z]+/g;

dc.subscribe('http.client.request.start', ({ request }) => {
  const target = request.getHeader('x-amz-target');
  count(
    `sent :${request.socket?.remotePort ?? '?'} ${request.method} ${target ?? request.path.split('?')[0].replace(ids, ':id')}`,
  );
});
dc.subscribe('http.server.request.start', ({ request, server }) => {
  const target = request.headers['x-amz-target'];
  count(`served :${server.address()?.port} ${request.method} ${target ?? request.url.split('?')[0].replace(ids, ':id')}`);
});

// pg and the mongodb driver have no diagnostics channels: their prototypes are wrapped (one copy of each; see package.json).
const require = createRequire(join(import.meta.dirname, '..', '..', 'package.json'));
const pg = require('pg');
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (q, ...rest) {
  count(`sql ${(typeof q === 'string' ? q : (q?.text ?? '')).replace(/\s+/g, ' ').slice(0, 70)}`);
  return query.call(this, q, ...rest);
};
const { Collection } = require('mongodb');
for (const method of [
  'find',
  'findOne',
  'findOneAndUpdate',
  'insertOne',
  'insertMany',
  'updateOne',
  'updateMany',
  'deleteOne',
  'deleteMany',
]) {
  const original = Collection.prototype[method];
  Collection.prototype[method] = function (...args) {
    count(`mongo ${this.collectionName}.${method} ${JSON.stringify(Object.keys(args[0] ?? {}))}`);
    return original.apply(this, args);
  };
}

const file = join(tmpdir(), `request-counts-${process.pid}.json`);
const write = () => writeFileSync(file, JSON.stringify(Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])), null, 1));
setInterval(write, 2_000).unref();
process.on('exit', write);
