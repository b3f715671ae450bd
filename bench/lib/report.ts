import type { BenchConfig } from './args.js';
import type { Compared } from './rounds.js';
import type { LatencySummary } from './stats.js';

/* The result shapes each workload returns, as far as the report reads them. */
interface Rate {
  msgs_per_s: number;
}
interface Tx {
  tx_per_s: number;
  latency: LatencySummary;
}
interface Results {
  adapters?: Record<string, { variants: Record<string, Tx>; ratio: number | null; ratio_median: number | null }>;
  write?: { variants: Record<string, Tx>; ratio: number | null; ratio_median: number | null };
  wake?: { modes: Record<string, Tx>; txbox_watch_vs_raw_notify: number | null; txbox_nudge_vs_raw_notify: number | null; raw_notify_vs_raw_poll: number | null };
  drain?: { variants: Record<string, Rate & { setup: string }>; ratio: number | null; best_txbox: string; best_raw: string; defaults_median: number | null; lease_vs_lock_median: number | null };
  claim?: { keyings: Record<string, { txbox_claim: { planning_ms: number; execution_ms: number }; raw_claim: { planning_ms: number; execution_ms: number }; txbox_msgs_per_s: number; raw_msgs_per_s: number }>; keyed_1000_vs_unkeyed: number | null; keyed_10_vs_unkeyed: number | null };
  latency?: Record<string, LatencySummary & { undelivered?: number }>;
  peers?: {
    txbox: { write: Tx; drain: Rate };
    peers: Record<string, { write: Tx; drain: Record<string, Rate & { time_boxed: boolean }>; latency: Record<string, LatencySummary & { undelivered: number }> }>;
    drain_lead: Record<string, number | null>;
  };
  broker?: Record<string, { variants: Record<string, Rate & { setup: string }>; ratio: number | null; defaults_median: number | null } | { error: string }>;
  sqlite?: OtherStore & { sqlite: string };
  mariadb?: OtherStore & { server: string };
  otel?: { drain: { ratio_median: number | null }; write: { ratio_median: number | null } };
  scale?: {
    points: { pending: number; txbox: Rate & { steady_msgs_per_s: number; rss_peak_mb: number; us_per_msg: number }; raw: Rate & { steady_msgs_per_s: number; rss_peak_mb: number }; ratio: number | null }[];
    txbox_cost_growth: number | null;
    txbox_rss_growth_mb: number;
  };
}

interface OtherStore {
  write: Compared;
  drain: Compared & { messages: number };
}

export interface Target {
  target: string;
  value: number | null;
  met: boolean | null;
}

export type Report = Record<string, unknown> & {
  ratios: Record<string, number | null>;
  ratios_best_of_rounds?: Record<string, number | null>;
  latency: Record<string, unknown>;
  targets: Record<string, Target>;
};

const atLeast = (value: number | null | undefined, min: number, label = `>= ${min}`): Target => ({ target: label, value: value ?? null, met: value == null ? null : value >= min });
const atMost = (value: number | null | undefined, max: number, label: string): Target => ({ target: label, value: value ?? null, met: value == null ? null : value <= max });

export function buildReport(cfg: BenchConfig, raw: Record<string, unknown>, meta: Record<string, unknown>): Report {
  const r = raw as Results;
  const brokerRatio = (name: string) => {
    const b = r.broker?.[name];
    return b && 'ratio' in b ? b.ratio : null;
  };
  const brokerDefaults = (name: string) => {
    const b = r.broker?.[name];
    return b && 'defaults_median' in b ? b.defaults_median : null;
  };
  const paired = (x: unknown) => (x && typeof x === 'object' && 'ratio_median' in x ? ((x as { ratio_median: number | null }).ratio_median ?? null) : null);
  // Best of each variant over the rounds, divided by each other: one lucky run moves it.
  const ratiosBestOfRounds = {
    write: r.write?.ratio ?? null,
    ...Object.fromEntries(Object.entries(r.adapters ?? {}).map(([name, a]) => [`write_adapter_${name}`, a.ratio])),
    drain: r.drain?.ratio ?? null,
    broker_rabbitmq: brokerRatio('rabbitmq'),
    broker_nats: brokerRatio('nats'),
  };
  // The headline: within each round txbox and the hand-written loop run back to back, so a burst
  // of load from elsewhere hits both; the median of those per-round ratios.
  const ratios: Record<string, number | null> & Record<'write' | 'drain' | 'broker_rabbitmq' | 'broker_nats' | 'write_sqlite' | 'drain_sqlite' | 'write_mariadb' | 'drain_mariadb' | 'otel_drain' | 'otel_write', number | null> = {
    write: paired(r.write),
    drain: paired(r.drain),
    failures: paired((raw as { failures?: unknown }).failures),
    broker_rabbitmq: paired(r.broker?.rabbitmq),
    broker_nats: paired(r.broker?.nats),
    drain_defaults: r.drain?.defaults_median ?? null,
    drain_lease_vs_lock: r.drain?.lease_vs_lock_median ?? null,
    broker_rabbitmq_defaults: brokerDefaults('rabbitmq'),
    broker_nats_defaults: brokerDefaults('nats'),
    wake_watch_vs_raw_notify: r.wake?.txbox_watch_vs_raw_notify ?? null,
    wake_nudge_vs_raw_notify: r.wake?.txbox_nudge_vs_raw_notify ?? null,
    keyed_1000_vs_unkeyed: r.claim?.keyed_1000_vs_unkeyed ?? null,
    write_sqlite: r.sqlite?.write.ratio_median ?? null,
    drain_sqlite: r.sqlite?.drain.ratio_median ?? null,
    write_mariadb: r.mariadb?.write.ratio_median ?? null,
    drain_mariadb: r.mariadb?.drain.ratio_median ?? null,
    otel_drain: r.otel?.drain.ratio_median ?? null,
    otel_write: r.otel?.write.ratio_median ?? null,
    ...Object.fromEntries(Object.entries(r.adapters ?? {}).map(([name, a]) => [`write_adapter_${name}`, a.ratio_median])),
  };
  const latency: Record<string, unknown> = { ...(r.latency ?? {}) };
  for (const [peer, p] of Object.entries(r.peers?.peers ?? {})) {
    for (const [variant, l] of Object.entries(p.latency)) latency[`${peer}_${variant}`] = l;
  }
  const push = ['txbox_watch', 'txbox_nudge'].map((m) => r.latency?.[m]?.p99_ms).filter((x): x is number => x !== undefined);
  const leads = Object.values(r.peers?.drain_lead ?? {}).filter((x): x is number => x !== null);
  const targets: Record<string, Target> = {
    write: atLeast(ratios.write, 0.95),
    drain: atLeast(ratios.drain, 0.8),
    drain_defaults: atLeast(ratios.drain_defaults, 0.9, '>= 0.9 (relay at its defaults / the hand-written loop, one loop each)'),
    drain_lease_vs_lock: atLeast(ratios.drain_lease_vs_lock, 0.8, '>= 0.8 (PostgreSQL lease claims / lock claims, batch 500)'),
    drain_vs_peers: atLeast(leads.length ? Math.min(...leads) : null, 3, '>= 3 (several times the best peer)'),
    latency_p99_push_ms: atMost(push.length ? Math.min(...push) : null, 2, '<= 2 ms (best push mode, 200 msgs/s)'),
    wake_write_cost: atLeast(
      r.wake ? Math.max(r.wake.txbox_watch_vs_raw_notify ?? 0, r.wake.txbox_nudge_vs_raw_notify ?? 0) : null,
      0.95,
      '>= 0.95 of hand-written NOTIFY writers (best push mode; 5% noise allowance)',
    ),
    broker_rabbitmq: atLeast(ratios.broker_rabbitmq, 0.8),
    broker_nats: atLeast(ratios.broker_nats, 0.8),
    broker_rabbitmq_defaults: atLeast(ratios.broker_rabbitmq_defaults, 0.9, '>= 0.9 (relay and transport at their defaults / the hand-written confirmed-publish loop)'),
    broker_nats_defaults: atLeast(ratios.broker_nats_defaults, 0.9, '>= 0.9 (relay and transport at their defaults / the hand-written confirmed-publish loop)'),
    keyed_1000_vs_unkeyed: atLeast(ratios.keyed_1000_vs_unkeyed, 0.9, '>= 0.9 (1,000-key drain / unkeyed drain, per-key rule in place)'),
    write_sqlite: atLeast(ratios.write_sqlite, 0.95),
    drain_sqlite: atLeast(ratios.drain_sqlite, 0.8),
    write_mariadb: atLeast(ratios.write_mariadb, 0.95),
    drain_mariadb: atLeast(ratios.drain_mariadb, 0.8),
    otel_drain: atLeast(ratios.otel_drain, 0.95, '>= 0.95 (instrumentation on / off)'),
    otel_write: atLeast(ratios.otel_write, 0.95, '>= 0.95 (instrumentation on / off)'),
    ...Object.fromEntries(Object.keys(r.adapters ?? {}).map((name) => [`write_adapter_${name}`, atLeast(ratios[`write_adapter_${name}`], 0.95, ">= 0.95 (send() through the adapter / the same ORM's hand-written INSERT)")])),
    scale_linear: atMost(r.scale?.txbox_cost_growth, 1.5, '<= 1.5 (cost per message, largest backlog / smallest)'),
    scale_memory_flat: atMost(r.scale?.txbox_rss_growth_mb, 64, '<= 64 MB (relay peak RSS, largest backlog - smallest)'),
  };
  return {
    meta: { ...meta, quick: cfg.quick, rounds: cfg.rounds, short_rounds: cfg.shortRounds, messages: cfg.messages, write_tx: cfg.writeTx, writers: cfg.writers, workloads: [...cfg.only] },
    ratios,
    ratios_best_of_rounds: ratiosBestOfRounds,
    targets,
    latency,
    ...raw,
  };
}

/** Aligned plain-text columns. */
function table(title: string, head: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [head, ...rows.map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = head.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const numeric = head.map((_, i) => cells.slice(1).every((row) => /^[-\d.+*]*$/.test(row[i] ?? '')));
  const line = (row: string[]) => row.map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `\n${title}\n${line(cells[0]!)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.slice(1).map(line).join('\n')}\n`;
}

export function renderTable(report: Report): string {
  const r = report as unknown as Results & Report;
  const meta = report.meta as Record<string, unknown>;
  let out = `txbox benchmark — node ${meta.node}, PostgreSQL ${meta.postgres}, ${meta.cpus} cpus, ${meta.quick ? 'quick' : 'full'} run, ${meta.rounds} round(s) (${meta.short_rounds} for write, drain and broker), ${meta.duration_s} s`;
  if (meta.load_average_start) out += `, load average ${(meta.load_average_start as number[])[0]} at start, ${(meta.load_average_end as number[])[0]} at end`;
  out += '\n';
  if (r.write) {
    out += table('Write: one business transaction each, 8 connections', ['variant', 'tx/s', 'p50 ms', 'p99 ms'], Object.entries(r.write.variants).map(([k, v]) => [k, v.tx_per_s, v.latency.p50_ms, v.latency.p99_ms]));
  }
  if (r.adapters) {
    const rows = Object.entries(r.adapters).map(([name, a]) => [name, a.variants.hand?.tx_per_s, a.variants.txbox?.tx_per_s, a.ratio_median]);
    out += table(`Write through each ORM adapter: send() / the ORM's hand-written INSERT, ${meta.writers} connections`, ['stack', 'hand tx/s', 'send() tx/s', 'ratio'], rows);
  }
  if (r.wake) {
    out += table('Write cost of each wake-up (8 writers, consumer running)', ['mode', 'tx/s', 'p50 ms', 'p99 ms'], Object.entries(r.wake.modes).map(([k, v]) => [k, v.tx_per_s, v.latency.p50_ms, v.latency.p99_ms]));
  }
  if (r.drain) {
    out += table('Drain: pending backlog, no-op producer', ['variant', 'msgs/s', 'setup'], Object.entries(r.drain.variants).map(([k, v]) => [k, v.msgs_per_s, v.setup]));
  }
  if (r.claim) {
    out += table(
      'Claim query: per-key order rule (EXPLAIN ANALYZE of one claim of 500; drain with batch 500)',
      ['keys', 'txbox plan+exec ms', 'raw plan+exec ms', 'txbox msgs/s', 'raw msgs/s'],
      Object.entries(r.claim.keyings).map(([k, v]) => [k, `${v.txbox_claim.planning_ms}+${v.txbox_claim.execution_ms}`, `${v.raw_claim.planning_ms}+${v.raw_claim.execution_ms}`, v.txbox_msgs_per_s, v.raw_msgs_per_s]),
    );
  }
  const lat = Object.entries(report.latency as Record<string, LatencySummary & { undelivered?: number }>);
  if (lat.length) {
    out += table('Latency: COMMIT returned -> producer called, 200 msgs/s', ['mode', 'p50 ms', 'p99 ms', 'max ms', 'undelivered'], lat.map(([k, v]) => [k, v.p50_ms, v.p99_ms, v.max_ms, v.undelivered ?? 0]));
  }
  if (r.peers) {
    const rows: (string | number)[][] = [['txbox', r.peers.txbox.write.tx_per_s, r.peers.txbox.drain.msgs_per_s, r.peers.txbox.drain.msgs_per_s, '-']];
    for (const [name, p] of Object.entries(r.peers.peers)) {
      const d = (v: string) => `${p.drain[v]!.msgs_per_s}${p.drain[v]!.time_boxed ? '*' : ''}`;
      rows.push([name, p.write.tx_per_s, d('defaults'), d('best'), r.peers.drain_lead[name] ?? '-']);
    }
    out += table('Peers (* = time-boxed: rate over what it drained in the budget)', ['library', 'enqueue tx/s', 'drain defaults', 'drain best', 'txbox lead'], rows);
  }
  if (r.broker) {
    for (const [name, b] of Object.entries(r.broker)) {
      if ('error' in b) out += `\nBroker ${name}: ${b.error}\n`;
      else out += table(`Broker ${name}: end to end with confirms`, ['variant', 'msgs/s', 'setup'], Object.entries(b.variants).map(([k, v]) => [k, v.msgs_per_s, v.setup]));
    }
  }
  for (const [name, o] of [['SQLite ' + (r.sqlite?.sqlite ?? ''), r.sqlite], ['MariaDB ' + (r.mariadb?.server ?? ''), r.mariadb]] as const) {
    if (!o) continue;
    const rows = (['write', 'drain'] as const).flatMap((w) => Object.entries(o[w].variants).map(([v, x]) => [w, v, x.per_s, w === 'write' ? 'tx/s' : 'msgs/s']));
    out += table(`${name.trim()}: write (business row + message) and drain (batch 500)`, ['workload', 'variant', 'rate', 'unit'], rows);
  }
  if (r.scale) {
    out += table(
      'Scale: drain time against backlog (relay in a child process)',
      ['pending', 'txbox msgs/s', 'steady', 'us/msg', 'peak RSS MB', 'raw msgs/s', 'steady', 'raw RSS MB', 'ratio'],
      r.scale.points.map((p) => [p.pending, p.txbox.msgs_per_s, p.txbox.steady_msgs_per_s, p.txbox.us_per_msg, p.txbox.rss_peak_mb, p.raw.msgs_per_s, p.raw.steady_msgs_per_s, p.raw.rss_peak_mb, p.ratio]),
    );
  }
  const bestOfRounds = (report.ratios_best_of_rounds ?? {}) as Record<string, number | null>;
  out += table(
    'Ratios (txbox / hand-written limit, same run: median of the per-round ratios; best of rounds / best of rounds beside it)',
    ['ratio', 'value', 'best/best'],
    Object.entries(report.ratios).map(([k, v]) => [k, v, bestOfRounds[k]]),
  );
  out += table('Targets', ['target', 'goal', 'value', 'met'], Object.entries(report.targets).map(([k, t]) => [k, t.target, t.value, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO']));
  return out;
}
