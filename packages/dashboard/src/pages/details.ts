import { html, timeCell, type Html } from '../html.js';
import { layout, outboxPath, type PageContext } from '../layout.js';
import type { AttemptLike, MessageDetailsLike, StoredMessageLike } from '../types.js';
import { rowActions } from './messages.js';

const PREVIEW_BYTES = 16 * 1024;

/** One message: its fields, headers, payload, attempts, last error and attempt history. */
export function detailsPage(ctx: PageContext, outbox: string, m: MessageDetailsLike, notice: string | null): Html {
  const field = (label: string, value: Html | string | number | null) => html`<dt>${label}</dt><dd>${value ?? html`<span class="muted">—</span>`}</dd>`;
  const headers = Object.entries(m.headers);
  const body = html`<h1>Message <span class="mono">${m.id}</span> <span class="badge ${m.state}">${m.state}</span></h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
${m.state === 'dead' && !ctx.readOnly ? html`<div class="actions">${rowActions(ctx, outbox, m.id)}</div>` : null}
<dl class="fields">
${field('topic', m.topic)}${field('key', m.key ? html`<a href="${outboxPath(ctx, outbox, `/messages?state=pending&key=${encodeURIComponent(m.key)}`)}">${m.key}</a>` : null)}
${field('attempts', m.attempts)}${field('last error', m.lastError ? html`<span class="error">${m.lastError}</span>` : null)}
${field('created', timeCell(m.createdAt, ctx.now))}${field('available', timeCell(m.availableAt, ctx.now))}
${field('dead since', m.deadAt ? timeCell(m.deadAt, ctx.now) : null)}${field('dedup key', m.dedupKey)}${field('content type', m.contentType)}
</dl>
${attempts(ctx, m.history)}
<h2>Headers</h2>
${headers.length === 0 ? html`<p class="muted">None.</p>` : html`<table><tbody>${headers.map(([k, v]) => html`<tr><th class="mono">${k}</th><td class="mono">${v}</td></tr>`)}</tbody></table>`}
<h2>Payload <small class="muted">${m.payload.byteLength} bytes</small></h2>
<pre class="payload">${payloadText(m)}</pre>`;
  return layout(ctx, `Message ${m.id}`, body, { outbox, tab: m.state === 'dead' ? 'Dead letters' : 'Messages' });
}

/** The failed attempts the store keeps, newest first: what an operator reads first. */
function attempts(ctx: PageContext, history: readonly AttemptLike[] | undefined): Html {
  if (history === undefined) return html`<p class="muted">This store keeps no attempt history.</p>`;
  const head = html`<h2>Failed attempts <small class="muted">the last ${history.length}, newest first</small></h2>`;
  if (history.length === 0) return html`${head}<p class="muted">None.</p>`;
  const rows = [...history].reverse().map((h) => html`<tr><td class="num">${h.attempt}</td><td>${timeCell(h.at, ctx.now)}</td><td class="mono">${h.relay ?? html`<span class="muted">—</span>`}</td><td class="error">${h.error}</td></tr>`);
  return html`${head}<table class="history"><thead><tr><th class="num">attempt</th><th>at</th><th>relay</th><th>error</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function payloadText(m: StoredMessageLike): string {
  const bytes = m.payload.subarray(0, PREVIEW_BYTES);
  const more = m.payload.byteLength > PREVIEW_BYTES ? `\n… ${m.payload.byteLength - PREVIEW_BYTES} more bytes` : '';
  const text = Buffer.from(bytes).toString('utf8');
  if (/json/.test(m.contentType) && more === '') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // shown as text
    }
  }
  if (/^(text\/|application\/(json|xml))/.test(m.contentType)) return text + more;
  return Buffer.from(bytes).toString('hex').replace(/(.{64})/g, '$1\n') + more;
}
