import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { serviceConfig } from '../../../shared/config.ts';
import type { DocsAssets } from '../domain/docs-page.ts';

const DocsEnv = z.object({ LAMBDA_TASK_ROOT: z.string().optional() });

/** In AWS the function's bundle carries the files (`bundle` of the route in service.ts); offline, node_modules does. */
function swaggerUiDir(): string {
  const root = serviceConfig(DocsEnv).LAMBDA_TASK_ROOT;
  if (root) return join(root, 'swagger-ui');
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

let assets: DocsAssets | undefined;

export function swaggerUiAssets(): DocsAssets {
  if (!assets) {
    const dir = swaggerUiDir();
    assets = {
      css: readFileSync(join(dir, 'swagger-ui.css'), 'utf8'),
      js: readFileSync(join(dir, 'swagger-ui-bundle.js'), 'utf8'),
    };
  }
  return assets;
}
