import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import type { RouteSpec, ServiceManifest } from '../shared/service.ts';
import { functionId } from '../shared/service.ts';

/**
 * The one esbuild configuration of every Lambda bundle: CDK (infra/constructs/service-function.ts) builds with it and
 * the cold-start bench (bench/cold-start.ts) measures exactly what it builds. Change it here, re-run the bench.
 */

/** The AWS SDK v3 ships in Lambda's Node.js runtime; bench/cold-start.ts measures externalizing it against bundling it. */
export const AWS_SDK_MODULES = ['@aws-sdk/*'];

/** Optional peers of pg and the mongodb driver that are never installed, so esbuild must not try to resolve them. */
export const OPTIONAL_PEERS = [
  'pg-native',
  'snappy',
  'kerberos',
  '@mongodb-js/zstd',
  'mongodb-client-encryption',
  'gcp-metadata',
  'socks',
  'aws4',
  '@aws-sdk/credential-providers',
];

export interface FunctionBundling {
  format: 'esm';
  target: string;
  minify: boolean;
  /** Class names survive minify: errors are named by their class (shared/errors.ts) and the saga's Catch/Retry match it. */
  keepNames: boolean;
  sourceMap: boolean;
  mainFields: string[];
  banner: string;
  externalModules: string[];
  /** Packages replaced by a module of ours (absolute paths). */
  alias: Record<string, string>;
}

export const functionBundling: FunctionBundling = {
  format: 'esm',
  target: 'node24',
  minify: true,
  keepNames: true,
  sourceMap: true,
  mainFields: ['module', 'main'],
  // ESM bundles still meet CommonJS dependencies that call require().
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  externalModules: [...AWS_SDK_MODULES, ...OPTIONAL_PEERS],
  alias: { 'whatwg-url': join(import.meta.dirname, 'shims', 'whatwg-url.cjs') },
};

/** The same settings as esbuild API options (CDK passes them to the esbuild CLI as flags). */
export function esbuildOptions(
  entry: string,
  outfile: string,
  settings: FunctionBundling = functionBundling,
): BuildOptions & { entryPoints: string[]; outfile: string } {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: settings.format,
    target: settings.target,
    minify: settings.minify,
    keepNames: settings.keepNames,
    sourcemap: settings.sourceMap,
    mainFields: settings.mainFields,
    banner: { js: settings.banner },
    external: settings.externalModules,
    alias: settings.alias,
    logLevel: 'warning',
  };
}

export type FunctionKind = 'route' | 'authorizer' | 'subscription' | 'saga-task' | 'schedule' | 'migration';

export interface CatalogFunction {
  /** As CDK and the offline runtime name it (functionId). */
  id: string;
  service: string;
  kind: FunctionKind;
  /** Module exporting `handler`, relative to the repo root. */
  entry: string;
  /** The route it answers, for kind `route`. */
  route?: RouteSpec;
}

/** Every Lambda function the catalog makes (what infra/stacks/api-stack.ts creates), in catalog order. */
export function catalogFunctions(services: ServiceManifest[]): CatalogFunction[] {
  const out: CatalogFunction[] = [];
  const add = (service: ServiceManifest, kind: FunctionKind, handler: string, route?: RouteSpec) => {
    const id = functionId(service.name, handler);
    if (!out.some((f) => f.id === id))
      out.push({ id, service: service.name, kind, entry: `functions/${service.name}/${handler}.ts`, route });
  };
  for (const service of services) {
    if (service.authorizer) add(service, 'authorizer', service.authorizer.handler);
    for (const route of service.routes) add(service, 'route', route.handler, route);
    for (const sub of service.subscriptions ?? []) add(service, 'subscription', sub.handler);
    for (const task of service.sagaTasks ?? []) add(service, 'saga-task', task.handler);
    for (const schedule of service.schedules ?? []) add(service, 'schedule', schedule.handler);
    if (service.stores.postgres)
      out.push({
        id: `${service.name}-migrate`,
        service: service.name,
        kind: 'migration',
        entry: 'shared/db/migrate-handler.ts',
      });
  }
  return out;
}
