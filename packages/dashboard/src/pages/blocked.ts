import { duration, html, timeCell, type Html } from '../html.js';
import { layout, outboxPath, type PageContext } from '../layout.js';
import type { BlockedKeyLike } from '../types.js';

export function blockedPage(ctx: PageContext, outbox: string, page: { keys: readonly BlockedKeyLike[]; next: string | null }, cursor: string | null): Html {
  const base = outboxPath(ctx, outbox, '/blocked');
  const rows = page.keys.map((k) => {
    const head = outboxPath(ctx, outbox, `/messages/${k.head.id}`);
    const messages = outboxPath(ctx, outbox, `/messages?state=pending&key=${encodeURIComponent(k.key)}`);
    return html`<tr><td><a href="${messages}">${k.key}</a></td><td><span class="badge ${k.reason}">${k.reason}</span></td>
<td>${timeCell(k.since, ctx.now)}</td><td class="num">${k.behind}</td><td><a class="mono" href="${head}">${k.head.id}</a></td><td class="num">${k.head.attempts}</td>
<td>${k.reason === 'failing' ? html`${k.head.availableAt.getTime() > ctx.now ? `in ${duration(k.head.availableAt.getTime() - ctx.now)}` : 'now'}` : '—'}</td>
<td class="error">${k.head.lastError?.slice(0, 300) ?? ''}</td></tr>`;
  });
  const body = html`<h1>Blocked keys</h1>
<p class="muted">A key whose oldest undelivered message is <strong>failing</strong> holds back every later message of the key until it succeeds or dies.
A <strong>dead</strong> head no longer holds its key back: the later messages go past it. Redriving it puts it back in its place, before the key's pending messages.</p>
${page.keys.length === 0 ? html`<p class="muted">No key is blocked.</p>` : html`<table><thead><tr><th>key</th><th>reason</th><th>since</th><th class="num">behind</th><th>head</th><th class="num">attempts</th><th>next try</th><th>last error</th></tr></thead><tbody>${rows}</tbody></table>`}
<div class="pager">${cursor ? html`<a href="${base}">← First page</a>` : null}${page.next ? html`<a href="${base}?cursor=${page.next}" rel="next">Next page →</a>` : null}</div>`;
  return layout(ctx, `Blocked keys · ${outbox}`, body, { outbox, tab: 'Blocked keys' });
}
