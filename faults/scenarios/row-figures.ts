import type { Observations } from '../checker.js';
import { gaps, longestStall, stallBoundMs, type Interval } from '../liveness.js';
import type { ResourceReport } from '../processes/resources.js';
import { firstDeliveries } from '../timing.js';
import type { StoreKind } from '../processes/config.js';
import type { ChildHandle } from '../processes/handle.js';
import type { FaultRecord } from '../timing.js';

/** What the figures read from a world: its relays (or the processes that relay), faults and outages. */
export interface FigureSource {
  readonly kind: StoreKind;
  readonly claimTimeoutMs: number;
  readonly createdAt: number;
  readonly relays: readonly ChildHandle[];
  readonly relayConfigs: readonly { pollIntervalMs: number; produceTimeoutMs: number }[];
  readonly faults: readonly FaultRecord[];
  readonly outages: readonly Interval[];
}

/** The liveness and resource figures of a row (see report.ts for their meaning). */
export interface RowFigures {
  stall_ms: number;
  stall_bound_ms: number | null;
  checked_out: number | null;
  rss_growth_mb: number | null;
  loop_delay_ms: number | null;
}

/**
 * The bound of a world's rows, from the settings its relays actually ran with (the slowest of
 * them). Undefined when no relay ran.
 */
export function worldStallBound(w: FigureSource): number | undefined {
  if (w.relayConfigs.length === 0) return undefined;
  return stallBoundMs({
    kind: w.kind,
    claimTimeoutMs: w.claimTimeoutMs,
    pollIntervalMs: Math.max(...w.relayConfigs.map((c) => c.pollIntervalMs)),
    produceTimeoutMs: Math.max(...w.relayConfigs.map((c) => c.produceTimeoutMs)),
  });
}

/**
 * Times no healthy relay could deliver: faults that hit everyone (a database, broker or network
 * outage: faults without a victim), the scenario's own outages, and stretches with no relay
 * process up. A fault of one relay is no outage: the others must cover for it within the bound.
 */
function outagesOf(w: FigureSource, end: number): Interval[] {
  const alive = w.relays.map((r) => ({ from: r.events.find((e) => e.ev === 'ready')?.at ?? end, to: r.exitedAt ?? end }));
  return [...w.faults.filter((f) => f.victim === undefined).map((f) => ({ from: f.at, to: f.restoredAt ?? f.at })), ...w.outages, ...gaps(alive, w.createdAt, end)];
}

export function rowFigures(w: FigureSource, o: Observations, notes: string[], enforceBound: boolean): RowFigures {
  const end = Date.now();
  const failed = new Set(w.relays.flatMap((r) => r.events.filter((e) => e.ev === 'failed').map((e) => String(e.id))));
  const stall = longestStall({ committed: o.committed, history: o.history, delivered: firstDeliveries(o.published), deadAt: o.deadAt, failed, outages: outagesOf(w, end), end });
  if (stall.worst) {
    const { key, v, deliverableAt, deliveredAt } = stall.worst;
    notes.push(`longest stall ${stall.ms} ms: ${key} v${v}, deliverable at +${deliverableAt - w.createdAt} ms, ${deliveredAt === null ? 'never delivered' : `delivered at +${deliveredAt - w.createdAt} ms`} (${stall.measured} messages measured, ${failed.size} failed ones left out)`);
  }
  const stopped = w.relays.flatMap((r) => r.events.filter((e) => e.ev === 'stopped'));
  const reports = stopped.map((e) => e.resources as ResourceReport | undefined).filter((r): r is ResourceReport => r !== undefined);
  const wedged = stopped.filter((e) => e.stoppedInTime === false).length;
  if (wedged > 0) notes.push(`${wedged} relays did not finish stopping within 5 s`);
  const forced = w.relays.filter((r) => r.forced).length;
  if (forced > 0) notes.push(`${forced} relays had to be SIGKILLed at the end (no resource report)`);
  const counts = reports.map((r) => r.checkedOut).filter((n): n is number => n !== null);
  const max = (xs: number[]) => (xs.length === 0 ? null : Math.max(...xs));
  const bound = worldStallBound(w);
  return {
    stall_ms: stall.ms,
    stall_bound_ms: enforceBound && bound !== undefined ? bound : null,
    checked_out: counts.length === 0 ? null : counts.reduce((a, b) => a + b, 0),
    rss_growth_mb: max(reports.map((r) => Math.round((r.rssEnd - r.rssStart) / 1e6))),
    loop_delay_ms: max(reports.map((r) => r.loopDelayMaxMs)),
  };
}
