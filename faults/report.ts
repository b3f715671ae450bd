import type { Figures } from './checker.js';
import type { RowFigures } from './scenarios/row-figures.js';

/** One line of the report: a scenario on one store (and sink). */
export interface ScenarioRow extends Figures, RowFigures {
  name: string;
  scenario: string;
  store: string;
  trials: number;
  detect_ms: number | null;
  recover_ms: number | null;
  duration_ms: number;
  notes: string[];
}

export interface Report {
  tier: 'smoke' | 'full';
  started_at: string;
  duration_ms: number;
  machine: { node: string; cpus: number; platform: string };
  scenarios: ScenarioRow[];
  /** Broken must-be figures (see failuresOf), and scenarios that failed outright. */
  failures: string[];
}

/** Figures that must be zero in every scenario: the guarantees of design.md. */
export const MUST_BE_ZERO = ['lost', 'phantom', 'stuck', 'effect_duplicates', 'order_violations', 'early_deliveries'] as const;

/**
 * Every broken must-be of a row: a must-be-zero figure that is not; a stall above its bound
 * (liveness, guarantee 7); connections still checked out of a relay's pool once it stopped.
 */
export function failuresOf(rows: readonly ScenarioRow[]): string[] {
  return rows.flatMap((r) => [
    ...MUST_BE_ZERO.filter((f) => r[f] !== 0).map((f) => `${r.name}: ${f} = ${r[f]}`),
    ...(r.stall_bound_ms !== null && r.stall_ms > r.stall_bound_ms ? [`${r.name}: stall ms = ${r.stall_ms} > bound ${r.stall_bound_ms}`] : []),
    ...(r.checked_out !== null && r.checked_out !== 0 ? [`${r.name}: checked out = ${r.checked_out}`] : []),
  ]);
}

const COLUMNS: [string, (r: ScenarioRow) => string][] = [
  ['store', (r) => r.store],
  ['trials', (r) => String(r.trials)],
  ['committed', (r) => String(r.committed)],
  ['lost', (r) => String(r.lost)],
  ['phantom', (r) => String(r.phantom)],
  ['stuck', (r) => String(r.stuck)],
  ['sink dup', (r) => String(r.sink_duplicates)],
  ['effect dup', (r) => String(r.effect_duplicates)],
  ['order', (r) => String(r.order_violations)],
  ['early', (r) => String(r.early_deliveries)],
  ['dead', (r) => String(r.dead_letters)],
  ['stall ms', (r) => String(r.stall_ms)],
  ['bound ms', (r) => (r.stall_bound_ms === null ? '-' : String(r.stall_bound_ms))],
  ['checked out', (r) => (r.checked_out === null ? '-' : String(r.checked_out))],
  ['rss +MB', (r) => (r.rss_growth_mb === null ? '-' : String(r.rss_growth_mb))],
  ['loop ms', (r) => (r.loop_delay_ms === null ? '-' : String(r.loop_delay_ms))],
  ['detect ms', (r) => (r.detect_ms === null ? '-' : String(r.detect_ms))],
  ['recover ms', (r) => (r.recover_ms === null ? '-' : String(r.recover_ms))],
  ['time s', (r) => (r.duration_ms / 1000).toFixed(1)],
];

/** One Markdown table per scenario: readable in a terminal and pasted as is into docs/reliability.md. */
export function renderTables(report: Report): string {
  const byScenario = new Map<string, ScenarioRow[]>();
  for (const r of report.scenarios) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const out: string[] = [];
  for (const [scenario, rows] of byScenario) {
    out.push(`### ${scenario}`, '');
    const cells = rows.map((r) => COLUMNS.map(([, f]) => f(r)));
    const widths = COLUMNS.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (values: string[]) => `| ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
    out.push(line(COLUMNS.map(([h]) => h)));
    out.push(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    for (const c of cells) out.push(line(c));
    const notes = rows.flatMap((r) => r.notes.map((n) => `- ${r.store}: ${n}`));
    if (notes.length > 0) out.push('', ...notes);
    out.push('');
  }
  const verdict = report.failures.length === 0 ? 'every must-be figure holds' : `FAILED:\n${report.failures.map((f) => `- ${f}`).join('\n')}`;
  out.push(`${report.tier} tier, ${(report.duration_ms / 1000).toFixed(0)} s, node ${report.machine.node}, ${report.machine.cpus} cpus: ${verdict}`, '');
  return out.join('\n');
}
