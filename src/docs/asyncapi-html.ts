import type { JsonSchema } from '../contracts';
import type { AsyncApiDocument, AsyncApiMessage } from './asyncapi';

/**
 * /asyncapi: the AsyncAPI document rendered on the server as one self-contained page
 * (no scripts, no CDN), so it works offline and under the default Content-Security-Policy.
 */
const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `code` spans and **bold** from the catalogue's markdown-ish text. */
const inline = (text: string): string =>
  escape(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');

const anchor = (kind: string, name: string) => `${kind}-${name.replace(/[^a-zA-Z0-9]+/g, '-')}`;

function typeOf(schema: JsonSchema): string {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return `<a href="#${anchor('schema', name)}">${escape(name)}</a>`;
  }
  if (schema.const !== undefined) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  if (schema.enum) return schema.enum.map((v) => `<code>${escape(JSON.stringify(v))}</code>`).join(' | ');
  if (schema.type === 'array') {
    const max = schema.maxItems === undefined ? '' : ` (≤ ${schema.maxItems})`;
    return `${typeOf(schema.items ?? {})}[]${max}`;
  }
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
    return `{ [key]: ${typeOf(schema.additionalProperties)} }`;
  }
  if (!schema.type) return 'any';
  const limits: string[] = [];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    limits.push(`${schema.minLength ?? 0}–${schema.maxLength ?? '∞'} chars`);
  }
  if (schema.minimum !== undefined || schema.maximum !== undefined) limits.push(`${schema.minimum ?? '−∞'}–${schema.maximum ?? '∞'}`);
  if (schema.format) limits.push(schema.format);
  if (schema.pattern) limits.push(`<code>${escape(schema.pattern)}</code>`);
  return `${schema.type}${limits.length ? ` <span class="muted">(${limits.join(', ')})</span>` : ''}`;
}

function fieldRows(schema: JsonSchema, prefix = ''): string[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([name, field]) => {
    const path = `${prefix}${name}`;
    const nested = field.type === 'object' && field.properties && Object.keys(field.properties).length > 0;
    const row =
      `<tr><td><code>${escape(path)}</code>${required.has(name) ? '' : '<span class="opt">?</span>'}</td>` +
      `<td>${nested ? 'object' : typeOf(field)}</td><td>${field.description ? inline(field.description) : ''}</td></tr>`;
    return [row, ...(nested ? fieldRows(field, `${path}.`) : [])];
  });
}

function schemaBlock(schema: JsonSchema): string {
  if (schema.type === 'object' && schema.properties) {
    const rows = fieldRows(schema);
    if (!rows.length) return '<p class="muted"><code>{}</code> (no fields)</p>';
    return `<table class="fields"><thead><tr><th>field</th><th>type</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }
  return `<p>${typeOf(schema)}</p>`;
}

function messageFor(doc: AsyncApiDocument, ref: { $ref: string } | undefined): AsyncApiMessage | undefined {
  return ref ? doc.components.messages[ref.$ref.split('/').pop()!] : undefined;
}

export function renderAsyncApiHtml(doc: AsyncApiDocument): string {
  const info = doc.info as { title: string; version: string; description: string };
  const channels = Object.entries(doc.channels).sort(([, a], [, b]) => a.address.localeCompare(b.address));
  const clientEvents = channels.filter(([, c]) => c.messages.request);
  const serverEvents = channels.filter(([, c]) => c.messages.event);

  const clientRows = clientEvents.map(([, c]) => {
    const m = messageFor(doc, c.messages.request)!;
    return `<tr><td><a href="#${anchor('client', c.address)}"><code>${escape(c.address)}</code></a></td><td>${inline(m.summary)}</td></tr>`;
  });
  const serverRows = serverEvents.map(([, c]) => {
    const m = messageFor(doc, c.messages.event)!;
    return `<tr><td><a href="#${anchor('server', c.address)}"><code>${escape(c.address)}</code></a></td><td>${inline(m.summary)}</td><td>${inline(m['x-receivers'] ?? '')}</td></tr>`;
  });

  const clientSections = clientEvents.map(([, c]) => {
    const request = messageFor(doc, c.messages.request)!;
    const ack = messageFor(doc, c.messages.ack)!;
    const data = (ack.payload.oneOf?.[0]?.properties ?? {}).data ?? {};
    return `<section id="${anchor('client', c.address)}" class="event">
  <h3><span class="dir c2s">C → S</span> <code>${escape(c.address)}</code></h3>
  <p>${inline(request.summary)}</p>${request.description ? `\n  <p class="muted">${inline(request.description)}</p>` : ''}
  <h4>payload</h4>${schemaBlock(request.payload)}
  <h4>ack <code>data</code></h4>${schemaBlock(data)}
  <h4>errors</h4><p>${(request['x-errors'] ?? []).map((code) => `<code class="err">${code}</code>`).join(' ')}</p>
</section>`;
  });
  const serverSections = serverEvents.map(([, c]) => {
    const m = messageFor(doc, c.messages.event)!;
    return `<section id="${anchor('server', c.address)}" class="event">
  <h3><span class="dir s2c">S → C</span> <code>${escape(c.address)}</code></h3>
  <p>${inline(m.summary)}</p>
  <p class="muted">Sent to ${inline(m['x-receivers'] ?? '')}.</p>
  <h4>payload</h4>${schemaBlock(m.payload)}
</section>`;
  });
  const schemaSections = Object.entries(doc.components.schemas).map(
    ([name, schema]) => `<section id="${anchor('schema', name)}" class="event">
  <h3><code>${escape(name)}</code></h3>${schema.description ? `<p>${inline(schema.description)}</p>` : ''}
  ${schemaBlock(schema)}
</section>`,
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escape(info.title)} ${escape(info.version)}</title>
<style>
  :root { --fg:#1d2330; --muted:#667085; --line:#e4e7ec; --accent:#3b5bdb; --bg:#f8f9fb; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
  main { max-width: 1000px; margin: 0 auto; padding: 24px; }
  h1 { margin: 0 0 4px; font-size: 26px; } h2 { margin-top: 40px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
  h3 { margin: 0 0 6px; font-size: 17px; } h4 { margin: 14px 0 4px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
  code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; background: #eef1f6; padding: 1px 4px; border-radius: 4px; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); }
  th { font-size: 12px; color: var(--muted); font-weight: 600; }
  .event { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin: 14px 0; }
  .event table { border: 1px solid var(--line); }
  .muted { color: var(--muted); } .opt { color: var(--muted); margin-left: 2px; }
  .dir { font-size: 11px; font-weight: 700; padding: 2px 6px; border-radius: 4px; vertical-align: 2px; }
  .c2s { background: #e7f5ff; color: #1864ab; } .s2c { background: #ebfbee; color: #2b8a3e; }
  .err { background: #fff0f0; color: #c92a2a; }
  header p { margin: 4px 0; }
</style>
</head>
<body>
<main>
<header>
  <h1>${escape(info.title)} <span class="muted">${escape(info.version)}</span></h1>
  <p class="muted">AsyncAPI ${escape(String(doc.asyncapi))} · <a href="/asyncapi.json">asyncapi.json</a> · REST: <a href="/docs">/docs</a></p>
  <p>${inline(info.description)}</p>
</header>
<h2>Client → server events</h2>
<table><thead><tr><th>event</th><th>what it does</th></tr></thead><tbody>${clientRows.join('')}</tbody></table>
<h2>Server → client events</h2>
<table><thead><tr><th>event</th><th>what it says</th><th>who receives it</th></tr></thead><tbody>${serverRows.join('')}</tbody></table>
<h2>Client → server, in detail</h2>
${clientSections.join('\n')}
<h2>Server → client, in detail</h2>
${serverSections.join('\n')}
<h2>Schemas</h2>
${schemaSections.join('\n')}
</main>
</body>
</html>
`;
}
