/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is already
 * `Html` (the output of another template). No template engine, no client framework.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new Html(out);
}

/** JSON for a `<script type="application/json">` element: `<` is escaped so no text can close the element. */
export const jsonData = (value: unknown) => new Html(JSON.stringify(value).replace(/</g, '\\u003c'));

export const when = (cond: unknown, fn: () => Html): Html | null => (cond ? fn() : null);

/** A duration for people: 850 ms, 12 s, 5 min, 3 h, 2 d. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${Math.round(ms / 1000)} s`;
  if (abs < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (abs < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/** A time as ISO text in a `<time>` element, with its age. */
export function timeCell(d: Date | null | undefined, now: number): Html {
  if (!d) return html`—`;
  const iso = d.toISOString();
  const age = now - d.getTime();
  const rel = age >= 0 ? `${duration(age)} ago` : `in ${duration(-age)}`;
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(0, 19).replace('T', ' ')}</time> <small>(${rel})</small>`;
}
