import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ConnectionString } from 'mongodb-connection-string-url';
import { describe, expect, it } from 'vitest';
import { services } from '../functions/catalog.ts';
import { functionId } from '../shared/service.ts';
import { catalogFunctions, esbuildOptions } from './bundling.ts';

describe('catalogFunctions', () => {
  it('lists every handler the catalog declares, once, so the cold-start bench covers each new function', () => {
    const ids = catalogFunctions(services).map((f) => f.id);
    const declared = services.flatMap((s) =>
      [
        ...(s.authorizer ? [s.authorizer.handler] : []),
        ...s.routes.map((r) => r.handler),
        ...(s.subscriptions ?? []).map((x) => x.handler),
        ...(s.sagaTasks ?? []).map((x) => x.handler),
        ...(s.schedules ?? []).map((x) => x.handler),
      ].map((h) => functionId(s.name, h)),
    );
    expect(new Set(ids)).toEqual(
      new Set([...declared, ...services.filter((s) => s.stores.postgres).map((s) => `${s.name}-migrate`)]),
    );
    expect(ids.length).toBe(new Set(ids).size);
  });
});

describe('function bundles', () => {
  it('parse MongoDB connection strings as the unbundled driver does, with Node URL in place of whatwg-url', async () => {
    const urls = [
      'mongodb://user:p%40ss@127.0.0.1:57017/db?authSource=admin&replicaSet=rs0',
      'mongodb://a.example.com:27017,b.example.com:27018/shop?tls=true&retryWrites=false&readPreference=secondaryPreferred',
      'mongodb+srv://u:p@cluster0.example.net/x?w=majority',
    ];
    const describeUrl = (c: ConnectionString) =>
      JSON.stringify([
        c.hosts,
        c.pathname,
        c.username,
        c.password,
        [...c.searchParams],
        c.toString(),
        c.isSRV,
        c.redact().toString(),
      ]);
    const dir = await mkdtemp(join(tmpdir(), 'bundle-test-'));
    try {
      const entry = join(dir, 'entry.ts');
      await writeFile(
        entry,
        `import { ConnectionString } from 'mongodb-connection-string-url';\nexport const parse = (u: string) => new ConnectionString(u);\n`,
      );
      // Resolved from the repo's node_modules, as the functions' own imports are.
      await build({
        ...esbuildOptions(entry, join(dir, 'index.mjs')),
        nodePaths: [join(import.meta.dirname, '..', 'node_modules')],
      });
      expect(await readFile(join(dir, 'index.mjs'), 'utf8')).not.toContain('tr46');
      const bundled = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { parse(u: string): ConnectionString };
      for (const url of urls) expect(describeUrl(bundled.parse(url))).toBe(describeUrl(new ConnectionString(url)));
      const outcome = (parse: (u: string) => ConnectionString, u: string) => {
        try {
          return describeUrl(parse(u));
        } catch (error) {
          return `threw ${(error as Error).name}`;
        }
      };
      for (const bad of ['mongodb://host:99999/x', 'http://x', 'mongodb://', 'mongodb://h/x?a=%zz'])
        expect(outcome(bundled.parse, bad)).toBe(outcome((u) => new ConnectionString(u), bad));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('of the catalog and history reads and the health check carry the mongodb driver but not mongoose (issue 13)', async () => {
    const root = join(import.meta.dirname, '..');
    const ids = [
      'gateway-health',
      'products-get-product',
      'products-list-products',
      'notifications-list-notifications',
      'notifications-list-user-notifications',
    ];
    const reads = catalogFunctions(services).filter((f) => ids.includes(f.id));
    expect(reads).toHaveLength(ids.length);
    for (const fn of reads) {
      const { metafile } = await build({
        ...esbuildOptions(join(root, fn.entry), join(tmpdir(), `${fn.id}.mjs`)),
        write: false,
        metafile: true,
      });
      const packages = new Set(Object.keys(metafile.inputs).map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i)?.[1]));
      expect([fn.id, packages.has('mongodb'), packages.has('mongoose')]).toEqual([fn.id, true, false]);
    }
  });

  it('keep the error class names the order saga matches (Catch/Retry on PaymentDeclined, OrderCancelled, ...) under minify', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bundle-test-'));
    try {
      const entry = join(dir, 'entry.ts');
      const root = join(import.meta.dirname, '..');
      await writeFile(
        entry,
        `import { PaymentDeclined, PaymentProcessorUnavailable } from '${root}/functions/payments/domain/errors.ts';
import { OrderCancelled } from '${root}/functions/orders/domain/errors.ts';
export const names = () => [new PaymentDeclined('card_declined').name, new PaymentProcessorUnavailable('timeout').name, new OrderCancelled('ord_1').name];\n`,
      );
      await build({ ...esbuildOptions(entry, join(dir, 'index.mjs')), nodePaths: [join(root, 'node_modules')] });
      const bundled = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { names(): string[] };
      expect(bundled.names()).toEqual(['PaymentDeclined', 'PaymentProcessorUnavailable', 'OrderCancelled']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
