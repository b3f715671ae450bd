import { checkRun, explainLost, type Observations } from '../checker.js';
import { progress } from '../log.js';
import { isMysql, type FailpointSpec, type StoreKind } from '../processes/config.js';
import type { ChildEvent, ChildHandle } from '../processes/handle.js';
import type { ScenarioRow } from '../report.js';
import { faultTiming, firstDeliveries, type FaultRecord } from '../timing.js';
import { withTimeout } from '../util.js';
import { World, type WorldOptions } from '../world/world.js';
import { rowFigures, type FigureSource } from './row-figures.js';
import type { ScenarioContext } from './types.js';

/** Builds a world on `kind`, runs `body`, and always tears the world down. */
export async function withWorld<T>(ctx: ScenarioContext, o: Omit<WorldOptions, 'dir' | 'server'> & { server?: WorldOptions['server'] }, body: (w: World) => Promise<T>): Promise<T> {
  // PGlite lives in one process: only its own world (pglite-webhooks.ts) can run it.
  if (o.kind === 'pglite') throw new Error('--store pglite: PGlite runs only in its one-process scenario (--only "pglite app")');
  const server = o.server ?? (o.kind === 'sqlite' ? undefined : isMysql(o.kind) ? await ctx.mariadb() : await ctx.postgres());
  const world = new World({ ...o, server, dir: ctx.dir(o.label) });
  try {
    await world.setup();
    return await body(world);
  } finally {
    await world.teardown(process.env.TXBOX_FAULTS_KEEP === '1');
  }
}

export interface SummaryInput {
  scenario: string;
  store: string;
  trials: number;
  started: number;
  notes?: string[];
  /** Faults whose timing is measured on the consumer, not on deliveries. */
  timings?: { detectMs: number | null; recoverMs: number | null }[];
  /** False for throughput rows (a large backlog drains at its own pace): stall is measured, not bound. */
  stallBound?: boolean;
  /** Rewrites what was observed before it is checked (debounce: superseded messages are not owed). */
  transform?: (o: Observations) => Observations;
}

/** A world the summary can read: its figures' source, and what it observed at the end. */
export interface Summarized extends FigureSource {
  observe(): Promise<Observations>;
}

/** Observes the world's end state and turns it into a report row. */
export async function summarize(w: Summarized, s: SummaryInput): Promise<ScenarioRow> {
  const o = s.transform ? s.transform(await w.observe()) : await w.observe();
  const figures = checkRun(o);
  const first = firstDeliveries(o.deliveries);
  const timings = s.timings ?? w.faults.map((f) => faultTiming(f, o.committed, o.deliveries, first));
  const notes = [...(s.notes ?? [])];
  if (figures.lost > 0) notes.push(...explainLost(o).map((l) => `lost: ${l}`));
  const undetected = timings.filter((t) => t.detectMs === null).length;
  if (undetected > 0 && s.timings === undefined) notes.push(`${undetected} of ${timings.length} faults had no observable takeover (their messages were already delivered)`);
  const max = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length === 0 ? null : Math.max(...v);
  };
  const row: ScenarioRow = {
    name: `${s.scenario}/${s.store}`,
    scenario: s.scenario,
    store: s.store,
    trials: s.trials,
    ...figures,
    ...rowFigures(w, o, notes, s.stallBound ?? true),
    detect_ms: max(timings.map((t) => t.detectMs)),
    recover_ms: max(timings.map((t) => t.recoverMs)),
    duration_ms: Date.now() - s.started,
    notes,
  };
  progress(`${row.name}: committed ${row.committed}, delivered ${row.delivered}, lost ${row.lost}, phantom ${row.phantom}, stuck ${row.stuck}, order ${row.order_violations}, effect dup ${row.effect_duplicates}, early ${row.early_deliveries}, sink dup ${row.sink_duplicates}, stall ${row.stall_ms} ms (bound ${row.stall_bound_ms ?? '-'}), checked out ${row.checked_out ?? '-'}`);
  return row;
}

/**
 * Starts a relay armed with one failpoint and waits until it fires. Kills are recorded as faults
 * (with the messages the relay held); the relay is left to whatever the action did to it.
 */
export async function armedRelay(w: World, spec: FailpointSpec, timeoutMs: number): Promise<{ relay: ChildHandle; fault?: FaultRecord }> {
  const relay = w.startRelay({ failpoints: [spec] }, resumeWhenPaused);
  const fired = await relay.waitFor((e) => e.ev === 'fp', timeoutMs);
  if (!fired) return { relay };
  const held = Array.isArray(fired.ids) ? (fired.ids as string[]) : [];
  const fault: FaultRecord = { what: `${spec.action} at ${spec.point}`, at: fired.at, held, victim: relay.name };
  if (spec.action === 'pause' || spec.action === 'stall') fault.restoredAt = fired.at + (spec.ms ?? 0);
  w.faults.push(fault);
  if (spec.action === 'kill') await withTimeout(relay.exited, 10_000, `${relay.name} to die`);
  return { relay, fault };
}

/** A child that stopped itself at a `pause` failpoint gets SIGCONT after the pause's length. */
export function resumeWhenPaused(e: ChildEvent, h: ChildHandle): void {
  if (e.ev === 'fp' && e.action === 'pause') setTimeout(() => h.kill('SIGCONT'), Number(e.ms));
}

/** Stops the writers, waits for the backlog to drain, stops every process. Returns a note if the drain timed out. */
export async function finish(w: World, drainMs: number): Promise<string[]> {
  for (const writer of w.writers) writer.kill('SIGTERM');
  await w.waitWriters(30_000);
  const drained = await w.drain(drainMs);
  await w.stopAll();
  return drained ? [] : [`the backlog did not drain within ${drainMs} ms`];
}

export const isPostgres = (k: StoreKind) => k === 'postgres-lock' || k === 'postgres-lease';

/** Writer settings that fit a store: SQLite has one writer at a time, so no commit delays. */
export function writerLoad(kind: StoreKind, o: { connections: number; paceMs: number; commitDelay?: number }) {
  const gaps = kind !== 'sqlite' && (o.commitDelay ?? 0) > 0;
  return {
    connections: kind === 'sqlite' ? 1 : o.connections,
    paceMs: o.paceMs,
    transactions: 10_000_000,
    durationMs: 600_000,
    rollbackRate: 0.1,
    commitDelayRate: gaps ? 0.2 : 0,
    commitDelayMaxMs: gaps ? o.commitDelay! : 0,
  };
}

export const randomInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
