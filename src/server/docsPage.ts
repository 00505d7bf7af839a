/** Renders the OpenAPI document as one self-contained HTML reference page (no CDN: banks run air-gapped). */
export function renderDocsPage(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const block = (x: unknown) => `<pre>${esc(JSON.stringify(x, null, 2))}</pre>`;
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, '-');
      toc.push(`<li><a href="#${id}"><code>${method.toUpperCase()} ${esc(path)}</code></a> ${esc(String(op.summary ?? ''))}</li>`);
      const params = (op.parameters as { name: string; in: string; required: boolean; description?: string; schema: unknown }[] | undefined) ?? [];
      const body = (op.requestBody as { content: Record<string, { schema: unknown }> } | undefined)?.content['application/json']?.schema;
      const responses = op.responses as Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
      ops.push(`<section id="${id}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p>${esc(String(op.summary ?? ''))}</p>${op.description ? `<p>${esc(String(op.description))}</p>` : ''}
<p><b>Access:</b> ${Array.isArray(op['x-scopes']) ? `a key or token with scope ${(op['x-scopes'] as string[]).map((x) => `<code>${esc(x)}</code>`).join(' or ')} (or <code>admin</code>)` : 'public'}</p>
${params.length ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr>${params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(p.description ?? '')}</td></tr>`).join('')}</table>` : ''}
${body ? `<details><summary>Request body schema</summary>${block(body)}</details>` : ''}
<h4>Responses</h4><ul>${Object.entries(responses).map(([s, r]) => `<li><b>${s}</b> ${esc(r.description)}${r.content ? `<details><summary>schema</summary>${block(r.content['application/json']?.schema)}</details>` : ''}</li>`).join('')}</ul>
</section>`);
    }
  }
  const info = doc.info as { title: string; version: string; description: string };
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)} reference</title>
<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#222}pre{background:#f5f5f5;padding:.5rem;overflow:auto;max-height:400px}
section{border-top:1px solid #ddd;padding-top:.5rem}.m{padding:2px 6px;border-radius:3px;color:#fff;font-size:.8em}.get{background:#2b7}.post{background:#27b}.put{background:#b72}.delete{background:#b33}.patch{background:#777}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}</style></head>
<body><h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors share one shape <code>{"error":{"code","message","details"}}</code>; codes are listed in docs/errors.md.</p>
<h2>Operations</h2><ul>${toc.join('')}</ul>${ops.join('\n')}</body></html>`;
}
