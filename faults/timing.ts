import type { Committed } from './checker.js';
import type { Receipt } from './processes/config.js';

/** One fault a scenario injected. */
export interface FaultRecord {
  what: string;
  /** When the fault began (wall-clock ms). */
  at: number;
  /** When it ended (server back, process resumed); instant faults (a kill) have none. */
  restoredAt?: number;
  /** Messages the faulted relay held when it failed, and its name. */
  held?: readonly string[];
  victim?: string;
}

export interface Timing {
  /** Fault start (or end, for outages) to the first sign the system went on without the faulted part. */
  detectMs: number | null;
  /** Fault end to the moment everything written before the fault had been delivered. */
  recoverMs: number | null;
}

/**
 * Detect: for a relay that failed holding messages, until another relay delivered one of them;
 * for an outage, from its end until the first delivery after it. Recover: from the end of the
 * fault until every undelayed message written before the fault began was delivered.
 */
export function faultTiming(f: FaultRecord, committed: readonly Committed[], deliveries: readonly Receipt[], firstDelivery: ReadonlyMap<string, number>): Timing {
  const end = f.restoredAt ?? f.at;
  let detectMs: number | null = null;
  if (f.held && f.held.length > 0) {
    const held = new Set(f.held);
    const takeover = deliveries.find((d) => held.has(d.id) && d.by !== f.victim && d.t >= f.at);
    detectMs = takeover ? takeover.t - f.at : null;
  } else {
    const next = deliveries.find((d) => d.t >= end);
    detectMs = next ? next.t - end : null;
  }
  let last = end;
  let missing = false;
  for (const c of committed) {
    if (c.poison || c.delayMs > 0 || c.sentAtMs >= f.at) continue;
    const t = firstDelivery.get(c.id);
    if (t === undefined) missing = true;
    else if (t > last) last = t;
  }
  return { detectMs, recoverMs: missing ? null : last - end };
}

export function firstDeliveries(deliveries: readonly Receipt[]): Map<string, number> {
  const first = new Map<string, number>();
  for (const d of deliveries) if (!first.has(d.id)) first.set(d.id, d.t);
  return first;
}
