import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { swaggerUiAssets } from '../store/swagger-ui.ts';
import { docsPage } from './docs-page.ts';

describe('the /docs page', () => {
  const { html, contentSecurityPolicy } = docsPage(swaggerUiAssets(), '/dev/openapi.json');

  it('inlines Swagger UI from the package (no CDN, no online validator) and reads the spec from the given path', () => {
    expect(html).toContain('SwaggerUIBundle');
    expect(html).toContain('"/dev/openapi.json"');
    expect(html).toContain('validatorUrl: null');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=/);
  });

  it('lets exactly its own scripts run, by hash', () => {
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    for (const script of scripts)
      expect(contentSecurityPolicy).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(contentSecurityPolicy).toContain("default-src 'none'");
    expect(contentSecurityPolicy).not.toContain('unsafe-eval');
  });
});
