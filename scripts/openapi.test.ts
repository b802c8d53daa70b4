import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { services } from '../functions/catalog.ts';
import { generateOpenApi, openApiFile } from './openapi.ts';

describe('docs/api/openapi.json', () => {
  it('is what the catalog and the handlers’ zod schemas generate (run `npx tsx scripts/openapi.ts` if not)', async () => {
    const committed = await readFile(openApiFile, 'utf8');
    expect(committed).toBe(await generateOpenApi());
  });

  it('documents every route with its security', async () => {
    const doc = JSON.parse(await generateOpenApi()) as { paths: Record<string, Record<string, { security: unknown[] }>> };
    for (const s of services) {
      for (const r of s.routes) {
        const op = doc.paths[r.path]?.[r.method.toLowerCase()];
        expect(op, `${r.method} ${r.path}`).toBeDefined();
        if (r.access !== 'public') expect(JSON.stringify(op!.security)).toContain('bearer');
      }
    }
  });
});
