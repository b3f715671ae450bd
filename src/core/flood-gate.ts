import type { LogRecord } from './log-records.js';

interface Entry {
  /** When a line of this signature was last written. */
  writtenAt: number;
  /** Records held back since then, and the newest of them. */
  held: number;
  last: LogRecord;
}

export interface Passage {
  readonly write: boolean;
  /** Records of this signature held back before this one (0 for a first occurrence). */
  readonly held: number;
  /** Since the line before them was written. */
  readonly sinceMs: number;
}

/** Signatures tracked at most: distinct failures beyond it push out the oldest. */
const MAX_SIGNATURES = 256;

/**
 * Flood control for log lines: the first record of a signature is written, repeats within
 * `intervalMs` are counted and held back, and the first repeat after the interval is written
 * with that count. So a failure that persists writes one line per interval, however often it
 * happens. Timer-free: the caller drains what is held when the condition ends.
 */
export class FloodGate {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  pass(signature: string, record: LogRecord): Passage {
    const now = this.now();
    const entry = this.entries.get(signature);
    if (!entry) {
      this.remember(signature, { writtenAt: now, held: 0, last: record });
      return { write: true, held: 0, sinceMs: 0 };
    }
    if (now - entry.writtenAt < this.intervalMs) {
      entry.held++;
      entry.last = record;
      return { write: false, held: entry.held, sinceMs: now - entry.writtenAt };
    }
    const passage = { write: true, held: entry.held, sinceMs: now - entry.writtenAt };
    this.entries.delete(signature);
    this.remember(signature, { writtenAt: now, held: 0, last: record });
    return passage;
  }

  /** Forgets the signatures starting with `prefix` (their condition is over); returns those with records held back. */
  clear(prefix: string): { record: LogRecord; held: number; sinceMs: number }[] {
    const now = this.now();
    const held = [];
    for (const [signature, entry] of this.entries) {
      if (!signature.startsWith(prefix)) continue;
      this.entries.delete(signature);
      if (entry.held > 0) held.push({ record: entry.last, held: entry.held, sinceMs: now - entry.writtenAt });
    }
    return held;
  }

  private remember(signature: string, entry: Entry): void {
    // Map order is insertion order: the first key is the least recently written.
    if (this.entries.size >= MAX_SIGNATURES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(signature, entry);
  }
}
