import { buildOpenApiDocument, httpRoutes } from '@pneumatic/contracts';
import express, { Router } from 'express';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pageHeaders } from './security-headers';

// Served from the installed package, so the docs work offline and load nothing from a CDN.
const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const swaggerPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Pneumatic API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

// A separate file rather than an inline script, so the page works under a strict CSP.
const swaggerInit = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  persistAuthorization: true,
  tryItOutEnabled: true,
});`;

const referenceStyle = 'body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}';

// Swagger UI styles its widgets inline and draws icons as data: images; its scripts are files here.
const swaggerHeaders = pageHeaders("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
// The reference page runs no script at all and allows exactly its own style block.
const referenceHeaders = pageHeaders(
  `default-src 'none'; style-src 'sha256-${createHash('sha256').update(referenceStyle).digest('base64')}'`,
);

/** A static reference page: every route with its summary, access and request schema, no script at all. */
function referencePage(document: Record<string, unknown>): string {
  const paths = document.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
  const sections = httpRoutes.map((route) => {
    const body = paths[route.path]?.[route.method]?.requestBody;
    const schema = body ? Object.values(body.content)[0]?.schema : undefined;
    return `<section id="${escapeHtml(`${route.method}-${route.path}`)}">
  <h3><code>${route.method.toUpperCase()} ${escapeHtml(route.path)}</code></h3>
  <p>${escapeHtml(route.summary)}${route.access === 'bearer' ? ' — requires <code>Authorization: Bearer</code>' : ''}</p>
  <p>Replies: ${Object.entries(route.replies)
    .map(([status, reply]) => `<code>${status}</code> ${escapeHtml(reply.description)}`)
    .join('; ')}</p>
  ${schema ? `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>` : ''}
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Pneumatic API reference</title>
<style>${referenceStyle}</style>
</head>
<body>
<h1>Pneumatic API reference</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Interactive: <a href="/docs">/docs</a>.</p>
${sections.join('\n')}
</body>
</html>`;
}

/** /openapi.json, the Swagger UI at /docs (its Authorize button logs in at /auth/token) and /redoc. */
export function apiDocs(): Router {
  const document = buildOpenApiDocument();
  const reference = referencePage(document);
  const router = Router();
  router.get('/openapi.json', (_req, res) => void res.json(document));
  router.get('/docs', (_req, res) => {
    swaggerHeaders(res);
    res.type('html').send(swaggerPage);
  });
  router.get('/docs/init.js', (_req, res) => void res.type('js').send(swaggerInit));
  router.use('/docs/assets', express.static(swaggerUiDir, { index: false, maxAge: '1d' }));
  router.get('/redoc', (_req, res) => {
    referenceHeaders(res);
    res.type('html').send(reference);
  });
  return router;
}
