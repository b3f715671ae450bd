import { checkDelivery, type Sequenced } from '../src/testing/index.js';
import type { Receipt } from './processes/config.js';

/** A business transaction that committed, as its business row says. */
export interface Committed {
  id: string;
  key: string;
  version: number;
  delayMs: number;
  sentAtMs: number;
  poison: boolean;
}

export interface HistoryEntry {
  ev: 'attempt' | 'commit' | 'rollback' | 'failed' | 'unknown';
  id: string;
  key: string;
  v: number;
  t: number;
}

/** Everything the harness saw once faults stopped and the backlog drained (or the wait ran out). */
export interface Observations {
  committed: readonly Committed[];
  history: readonly HistoryEntry[];
  /** Every delivery the sink (or the broker consumer) recorded, in the order it recorded them. */
  deliveries: readonly Receipt[];
  /** What left the relays, with the relays' times: the sink itself for a file, the relays' publish log for a broker. */
  published: readonly Receipt[];
  /** Effect counts per message id; undefined when no inbox consumer ran. */
  effects: ReadonlyMap<string, number> | undefined;
  /** Outbox rows still waiting (neither delivered nor dead). */
  pending: readonly string[];
  dead: readonly string[];
  /** When each dead letter died (wall-clock ms), to check no later message of its key overtook it. */
  deadAt: ReadonlyMap<string, number>;
  /** Rows a scenario wrote by hand outside any business transaction (malformed input). */
  handmade?: ReadonlySet<string>;
}

/** Why some messages count as lost: a few examples, for the notes of a failing row. */
export function explainLost(o: Observations, limit = 5): string[] {
  const delivered = new Set(o.deliveries.map((d) => d.id));
  const pending = new Set(o.pending);
  const dead = new Set(o.dead);
  const ids = new Set(o.committed.map((c) => c.id));
  const out: string[] = [];
  for (const c of o.committed) {
    if (out.length >= limit) break;
    if (pending.has(c.id)) continue;
    const seen = delivered.has(c.id);
    const effect = o.effects?.has(c.id) ?? true;
    if (c.poison ? dead.has(c.id) : seen && effect) continue;
    out.push(`${c.id} (${c.key} v${c.version}${c.poison ? ' poison' : ''}): ${seen ? 'delivered' : 'never delivered'}, ${effect ? 'effect applied' : 'no effect'}, ${dead.has(c.id) ? 'dead' : 'not in the outbox'}`);
  }
  for (const h of o.history) {
    if (out.length >= limit) break;
    if (h.ev === 'commit' && !ids.has(h.id)) out.push(`${h.id} (${h.key} v${h.v}): the writer saw its commit succeed but its business row is missing`);
  }
  return out;
}

export interface Figures {
  committed: number;
  delivered: number;
  dead_letters: number;
  lost: number;
  phantom: number;
  stuck: number;
  sink_duplicates: number;
  effect_duplicates: number;
  order_violations: number;
  early_deliveries: number;
}

/**
 * Turns observations into the figures of the report. Poison messages must end as dead letters
 * (and may let their key's later messages through); every other committed message must be
 * delivered and, with an inbox consumer, have its effect exactly once. Order is checked per key
 * with `checkDelivery`: a redelivery of an already-seen message is a duplicate, not disorder.
 */
export function checkRun(o: Observations): Figures {
  const byId = new Map(o.committed.map((c) => [c.id, c]));
  const handmade = o.handmade ?? new Set<string>();
  const dead = new Set(o.dead);
  const pending = new Set(o.pending);
  const expected = o.committed.filter((c) => !c.poison);

  const first = new Map<string, Receipt>();
  let phantom = 0;
  let sinkDuplicates = 0;
  let early = 0;
  const received: Sequenced[] = [];
  for (const d of o.deliveries) {
    const c = byId.get(d.id);
    if (!c || c.key !== d.key || c.version !== d.v) {
      if (!handmade.has(d.id) && !first.has(d.id)) phantom++;
      first.set(d.id, d);
      continue;
    }
    if (c.delayMs > 0 && d.t < c.sentAtMs + c.delayMs) early++;
    if (first.has(d.id)) sinkDuplicates++;
    else first.set(d.id, d);
    received.push({ key: c.key, seq: c.version });
  }
  const order = checkDelivery(
    expected.map((c) => ({ key: c.key, seq: c.version })),
    received,
  );
  const overtaken = overtakes(o, first);

  const lostIds = new Set<string>();
  for (const c of expected) {
    if (pending.has(c.id)) continue; // counted as stuck
    if (!first.has(c.id)) lostIds.add(c.id);
    else if (o.effects && !o.effects.has(c.id)) lostIds.add(c.id);
  }
  // A poison message that is neither dead nor waiting has vanished.
  for (const c of o.committed) if (c.poison && !dead.has(c.id) && !pending.has(c.id)) lostIds.add(c.id);
  // A commit the writer saw succeed must have left its business row.
  for (const h of o.history) if (h.ev === 'commit' && !byId.has(h.id)) lostIds.add(h.id);

  // A transaction that rolled back must have left nothing behind.
  for (const h of o.history) if (h.ev === 'rollback' && byId.has(h.id)) phantom++;
  let effectDuplicates = 0;
  for (const [id, n] of o.effects ?? []) {
    if (!byId.has(id) && !handmade.has(id)) phantom++;
    if (n > 1) effectDuplicates += n - 1;
  }

  return {
    committed: o.committed.length,
    delivered: first.size,
    dead_letters: dead.size,
    lost: lostIds.size,
    phantom,
    stuck: o.pending.filter((id) => !handmade.has(id)).length,
    sink_duplicates: sinkDuplicates,
    effect_duplicates: effectDuplicates,
    order_violations: order.outOfOrder + overtaken,
    early_deliveries: early,
  };
}

/**
 * A message that failed is retried later; until it is dead, no later message of its key may be
 * delivered. Counts first deliveries of a key's later messages made before an earlier message of
 * that key died (a poison message, or any message that ended dead).
 */
function overtakes(o: Observations, first: ReadonlyMap<string, Receipt>): number {
  if (o.deadAt.size === 0) return 0;
  const byKey = new Map<string, Committed[]>();
  const byId = new Map<string, Committed>();
  for (const c of o.committed) {
    byId.set(c.id, c);
    const list = byKey.get(c.key);
    if (list) list.push(c);
    else byKey.set(c.key, [c]);
  }
  let count = 0;
  for (const [id, deadAt] of o.deadAt) {
    const d = byId.get(id);
    if (!d) continue;
    for (const later of byKey.get(d.key) ?? []) {
      const t = first.get(later.id)?.t;
      if (later.version > d.version && t !== undefined && t < deadAt) count++;
    }
  }
  return count;
}
