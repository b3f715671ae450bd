import { html, timeCell, type Html } from '../html.js';
import { layout, type PageContext } from '../layout.js';
import type { ScheduleLike } from '../types.js';

export function schedulesPage(ctx: PageContext, outbox: string, schedules: readonly ScheduleLike[] | null, lastFired: (name: string) => Date | undefined): Html {
  const body =
    schedules === null
      ? html`<h1>Schedules</h1><p class="muted">No schedules store was given for this outbox (<code>schedules</code> in its dashboard entry).</p>`
      : html`<h1>Schedules <small class="muted">${schedules.length}</small></h1>
<p class="muted">Last run: the last tick this process saw fired (relay events); the store keeps only the next run.</p>
${schedules.length === 0 ? html`<p class="muted">None.</p>` : html`<table><thead><tr><th>name</th><th>cron</th><th>time zone</th><th>topic</th><th>next run</th><th>last run</th></tr></thead><tbody>
${schedules.map((s) => html`<tr><td>${s.name}</td><td class="mono">${s.cron}</td><td>${s.timezone ?? 'UTC'}</td><td>${s.topic}</td><td>${timeCell(s.nextRunAt, ctx.now)}</td><td>${timeCell(lastFired(s.name), ctx.now)}</td></tr>`)}
</tbody></table>`}`;
  return layout(ctx, `Schedules · ${outbox}`, body, { outbox, tab: 'Schedules' });
}
