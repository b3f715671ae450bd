import type { Backlog } from '../backlog.js';
import { duration, html, jsonData, type Html } from '../html.js';
import { layout, outboxPath, type PageContext } from '../layout.js';
import type { DashboardOutbox } from '../options.js';
import type { Sample } from '../sampler.js';

export interface OutboxView {
  readonly outbox: DashboardOutbox;
  readonly backlog: Backlog | null;
  readonly samples: readonly Sample[];
  /** Relay events reached the dashboard: throughput is measured, not unknown. */
  readonly fed: boolean;
  readonly inFlightVisible: boolean;
  /** Blocked keys on the first page of them (at most 100), or null when the store did not answer. */
  readonly blocked: { count: number; more: boolean } | null;
}

const STATES = [
  ['pending', 'pending'],
  ['due', 'due'],
  ['delayed', 'delayed'],
  ['inFlight', 'in flight'],
  ['dead', 'dead'],
] as const;

export function overviewPage(ctx: PageContext, views: readonly OutboxView[]): Html {
  return layout(ctx, 'Outboxes', html`<h1>Outboxes</h1><div class="cards">${views.map((v, i) => card(ctx, v, i))}</div>`);
}

function card(ctx: PageContext, v: OutboxView, index: number): Html {
  const { outbox, backlog } = v;
  const relay = outbox.relay ? html`<span class="badge ${outbox.relay.running ? 'running' : ''}">${outbox.relay.running ? 'relay running' : 'relay stopped'}</span>` : null;
  const states = backlog
    ? html`<div class="states">${STATES.map(([state, label]) => html`<a class="${state}" href="${outboxPath(ctx, outbox.name, `/messages?state=${state}`)}"><span class="n">${backlog[state] ?? "—"}</span><span class="label">${label}</span></a>`)}
<div><span class="n">${duration(backlog.lagMs)}</span><span class="label">lag</span></div></div>`
    : html`<p class="warning">The store did not answer.</p>`;
  return html`<section class="card" id="outbox-${outbox.name}">
<h2><a href="${outboxPath(ctx, outbox.name, '/messages')}">${outbox.name}</a> <small class="muted">${outbox.store.key.kind}</small> ${relay}</h2>
${states}
${v.inFlightVisible ? null : html`<p class="muted">This store's claims hold rows by lock: messages being delivered count as due.</p>`}
${throughput(v, index)}
<p><a href="${outboxPath(ctx, outbox.name, '/blocked')}">Blocked keys</a>${v.blocked ? html` <span class="badge ${v.blocked.count > 0 ? 'failing' : ''}">${v.blocked.count}${v.blocked.more ? '+' : ''}</span>` : null}
· <a href="${outboxPath(ctx, outbox.name, '/messages?state=dead')}">Dead letters</a> · <a href="${outboxPath(ctx, outbox.name, '/schedules')}">Schedules</a></p>
</section>`;
}

/** The last hour: a uPlot chart where scripts run, and the same samples as a table (per 5 minutes) where they do not. */
function throughput(v: OutboxView, index: number): Html {
  const rows = v.samples.slice(1).map((s, i) => {
    const minutes = (s.at - v.samples[i]!.at) / 60_000;
    return { s, rate: minutes > 0 ? s.delivered / minutes : 0 };
  });
  const series = {
    fed: v.fed,
    t: rows.map((r) => Math.round(r.s.at / 1000)),
    delivered: rows.map((r) => Math.round(r.rate * 10) / 10),
    pending: rows.map((r) => r.s.backlog?.pending ?? null),
    dead: rows.map((r) => r.s.backlog?.dead ?? null),
  };
  const id = `series-${index}`;
  return html`<figure class="chart" data-series="${id}"><figcaption class="muted">Last hour: delivered per minute${v.fed ? '' : ' (needs the relay\'s events: onEvent: dashboard.onEvent)'}, pending and dead</figcaption>
<div class="chart-canvas"></div>
<script type="application/json" id="${id}">${jsonData(series)}</script>
<details class="samples" open><summary>Samples as a table</summary>${sampleTable(v.samples)}</details></figure>`;
}

function sampleTable(samples: readonly Sample[]): Html {
  if (samples.length === 0) return html`<p class="muted">No samples yet.</p>`;
  // One row per 5 minutes, newest first: twelve rows for the hour.
  const buckets = new Map<number, Sample[]>();
  for (const s of samples) {
    const b = Math.floor(s.at / 300_000) * 300_000;
    buckets.set(b, [...(buckets.get(b) ?? []), s]);
  }
  const rows = [...buckets].sort((a, b) => b[0] - a[0]).map(([at, list]) => {
    const last = list[list.length - 1]!.backlog;
    const sum = (f: (s: Sample) => number) => list.reduce((n, s) => n + f(s), 0);
    return html`<tr><td>${new Date(at).toISOString().slice(11, 16)}</td><td class="num">${sum((s) => s.delivered)}</td><td class="num">${sum((s) => s.failed)}</td><td class="num">${sum((s) => s.dead)}</td><td class="num">${last?.pending ?? '—'}</td><td class="num">${last?.dead ?? '—'}</td><td class="num">${last ? duration(last.lagMs) : '—'}</td></tr>`;
  });
  return html`<table><thead><tr><th>from (UTC)</th><th class="num">delivered</th><th class="num">failed</th><th class="num">dead-lettered</th><th class="num">pending</th><th class="num">dead</th><th class="num">lag</th></tr></thead><tbody>${rows}</tbody></table>`;
}
