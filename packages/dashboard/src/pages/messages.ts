import { FILTER_FIELDS, filterQuery, CONSUMER_HEADER, type ParsedFilter } from '../filters.js';
import { html, timeCell, type Html } from '../html.js';
import { csrfField, layout, outboxPath, type PageContext } from '../layout.js';
import type { StoredMessageLike } from '../types.js';

export interface MessagesView {
  readonly outbox: string;
  readonly parsed: ParsedFilter;
  readonly page: { messages: readonly StoredMessageLike[]; total: number; next: string | null };
  readonly cursor: string | null;
  readonly notice: string | null;
}

const STATE_LABELS: Record<string, string> = { pending: 'Pending', due: 'Due', delayed: 'Delayed', inFlight: 'In flight', dead: 'Dead letters' };

export function messagesPage(ctx: PageContext, v: MessagesView): Html {
  const { fields } = v.parsed;
  const dead = fields.state === 'dead';
  const base = outboxPath(ctx, v.outbox, '/messages');
  const next = v.page.next ? html`<a href="${base}${filterQuery(fields, { cursor: v.page.next })}" rel="next">Next page →</a>` : null;
  const first = v.cursor ? html`<a href="${base}${filterQuery(fields)}">← First page</a>` : null;
  const body = html`<h1>${STATE_LABELS[fields.state]} <small class="muted">${v.page.total} matching</small></h1>
${v.notice ? html`<p class="notice" role="status">${v.notice}</p>` : null}
${filterForm(base, fields)}
${dead && !ctx.readOnly && v.page.total > 0 ? bulkActions(ctx, v) : null}
${v.page.messages.length === 0 ? html`<p class="muted">No message matches.</p>` : table(ctx, v, dead)}
<div class="pager">${first}${next}</div>`;
  return layout(ctx, `${STATE_LABELS[fields.state]} · ${v.outbox}`, body, { outbox: v.outbox, tab: dead ? 'Dead letters' : 'Messages' });
}

function filterForm(action: string, f: ParsedFilter['fields']): Html {
  const text = (name: string, label: string, placeholder = '') => html`<label>${label}<input name="${name}" value="${f[name as keyof typeof f]}" placeholder="${placeholder}"></label>`;
  const option = (value: string) => html`<option value="${value}" ${f.state === value ? 'selected' : ''}>${STATE_LABELS[value]}</option>`;
  return html`<form class="filters" method="get" action="${action}" role="search">
<label>State<select name="state">${Object.keys(STATE_LABELS).map(option)}</select></label>
${text('topic', 'Topic')}${text('key', 'Key')}${text('error', 'Error contains')}${text('consumer', 'Consumer', 'poisoned of…')}
${text('olderThanMin', 'Older than (min)')}${text('newerThanMin', 'Newer than (min)')}
<button type="submit">Filter</button></form>`;
}

/** Redrive or discard every dead letter the filter matches: the filter travels as hidden fields. */
function bulkActions(ctx: PageContext, v: MessagesView): Html {
  const hidden = FILTER_FIELDS.filter((f) => f !== 'state' && v.parsed.fields[f]).map((f) => html`<input type="hidden" name="${f}" value="${v.parsed.fields[f]}">`);
  const form = (action: string, label: string, cls: string, extra: Html | null = null) =>
    html`<form method="post" action="${outboxPath(ctx, v.outbox, action)}">${csrfField(ctx)}${hidden}${extra}<button type="submit" class="${cls}">${label}</button></form>`;
  const position = html`<label class="muted">Requeue <select name="position"><option value="keep" selected>in their place (before their key's pending messages)</option><option value="end">at the end (after their key's pending messages)</option></select></label> `;
  return html`<div class="actions">${form('/redrive', `Redrive ${v.page.total} matching`, '', position)}${form('/discard', `Discard ${v.page.total} matching`, 'danger')}
<span class="muted">Redriven messages keep their ids; a message's place decides whether its key's pending messages wait for it again.</span></div>`;
}

function table(ctx: PageContext, v: MessagesView, dead: boolean): Html {
  const rows = v.page.messages.map((m) => {
    const detail = outboxPath(ctx, v.outbox, `/messages/${m.id}`);
    const consumer = m.headers[CONSUMER_HEADER];
    const actions = dead && !ctx.readOnly ? rowActions(ctx, v.outbox, m.id) : null;
    return html`<tr data-id="${m.id}"><td><a class="mono" href="${detail}">${m.id}</a></td><td>${m.topic}</td><td>${m.key ?? html`<span class="muted">—</span>`}</td>
<td><span class="badge ${m.state}">${m.state}</span></td><td class="num">${m.attempts}</td><td>${timeCell(m.createdAt, ctx.now)}</td>
<td>${dead ? timeCell(m.deadAt, ctx.now) : timeCell(m.availableAt, ctx.now)}</td><td>${consumer ?? ''}</td><td class="error">${m.lastError ? m.lastError.slice(0, 300) : ''}</td>${dead && !ctx.readOnly ? html`<td>${actions}</td>` : null}</tr>`;
  });
  return html`<table class="messages"><thead><tr><th>id</th><th>topic</th><th>key</th><th>state</th><th class="num">attempts</th><th>created</th><th>${dead ? 'dead since' : 'available'}</th><th>consumer</th><th>last error</th>${dead && !ctx.readOnly ? html`<th></th>` : null}</tr></thead><tbody>${rows}</tbody></table>`;
}

export function rowActions(ctx: PageContext, outbox: string, id: string): Html {
  const form = (action: string, label: string, cls: string) =>
    html`<form method="post" action="${outboxPath(ctx, outbox, action)}" class="inline">${csrfField(ctx)}<input type="hidden" name="id" value="${id}"><button type="submit" class="small ${cls}">${label}</button></form>`;
  return html`${form('/redrive', 'Redrive', '')} ${form('/discard', 'Discard', 'danger')}`;
}
