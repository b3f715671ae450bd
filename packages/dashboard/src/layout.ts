import { html, type Html } from './html.js';

/** What every page knows about the request it answers. */
export interface PageContext {
  /** The base path, '' at the root. */
  readonly base: string;
  /** The session's CSRF token; null for bearer requests (they need none). */
  readonly csrf: string | null;
  readonly readOnly: boolean;
  readonly outboxes: readonly string[];
  readonly now: number;
  /** Token-mode browser sessions can log out. */
  readonly canLogout: boolean;
}

/** A hidden CSRF field for the page's POST forms. */
export const csrfField = (ctx: PageContext) => (ctx.csrf === null ? null : html`<input type="hidden" name="csrf" value="${ctx.csrf}">`);

export const outboxPath = (ctx: PageContext, name: string, rest = '') => `${ctx.base}/o/${encodeURIComponent(name)}${rest}`;

export function layout(ctx: PageContext, title: string, body: Html, here?: { outbox: string; tab: string }): Html {
  const tab = (name: string, label: string, path: string) =>
    html`<a href="${outboxPath(ctx, name, path)}" class="${here?.outbox === name && here.tab === label ? 'here' : ''}">${label}</a>`;
  const nav = here
    ? html`<nav>${tab(here.outbox, 'Messages', '/messages')}${tab(here.outbox, 'Dead letters', '/messages?state=dead')}${tab(here.outbox, 'Blocked keys', '/blocked')}${tab(here.outbox, 'Schedules', '/schedules')}</nav>`
    : html`<nav>${ctx.outboxes.map((n) => html`<a href="${outboxPath(ctx, n, '/messages')}">${n}</a>`)}</nav>`;
  const logout = ctx.canLogout
    ? html`<form method="post" action="${ctx.base}/logout" class="inline">${csrfField(ctx)}<button class="small" type="submit">Log out</button></form>`
    : null;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · txbox</title>
<link rel="stylesheet" href="${ctx.base}/assets/dashboard.css"><link rel="stylesheet" href="${ctx.base}/assets/uPlot.min.css">
</head><body>
<header class="top"><a class="brand" href="${ctx.base}/">txbox</a>${here ? html`<span>${here.outbox}</span>` : null}${nav}
<span class="who">${ctx.readOnly ? html`<span class="badge">read-only</span>` : null}${logout}</span></header>
<main>${body}</main>
<script src="${ctx.base}/assets/uPlot.iife.min.js"></script><script src="${ctx.base}/assets/chart.js"></script>
</body></html>`;
}

/** A page that is not a dashboard page (login, errors): no navigation, no scripts. */
export function plainPage(base: string, title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · txbox</title><link rel="stylesheet" href="${base}/assets/dashboard.css"></head>
<body><main>${body}</main></body></html>`;
}
