import { createHash } from 'node:crypto';

export interface DocsAssets {
  /** swagger-ui.css and swagger-ui-bundle.js of the swagger-ui-dist package. */
  css: string;
  js: string;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The API reference page: Swagger UI with its files inlined (no CDN, so it works offline), reading the spec from
 * `specUrl`. The scripts run by hash, so the CSP allows them and nothing else; no online validator badge.
 */
export function docsPage(assets: DocsAssets, specUrl: string): { html: string; contentSecurityPolicy: string } {
  const init = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui', deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout', validatorUrl: null, defaultModelsExpandDepth: 0 });
});`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop platform API</title>
<style>${assets.css}</style>
<style>body { margin: 0; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script>${assets.js}</script>
<script>${init}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(assets.js)} ${sha256(init)}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
