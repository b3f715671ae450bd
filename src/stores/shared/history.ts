import type { AttemptRecord } from '../../core/queries.js';

/**
 * The attempt history column as every store writes it: a JSON array, oldest first, of
 * `{ "attempt": n, "at": epoch milliseconds, "error": text, "relay": text | null }`. Read as
 * the driver hands it over (text, or already parsed for a jsonb column). Entries that do not
 * read as one (a value written by hand) are left out rather than failing the whole read.
 */
export function parseHistory(value: unknown): AttemptRecord[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  const records: AttemptRecord[] = [];
  for (const e of list as Record<string, unknown>[]) {
    const at = Number(e?.at);
    if (e === null || typeof e !== 'object' || !Number.isFinite(at) || typeof e.error !== 'string') continue;
    records.push({ attempt: Number(e.attempt) || 0, at: new Date(at), error: e.error, relay: typeof e.relay === 'string' ? e.relay : null });
  }
  return records;
}

/**
 * When a failing message's current run of failures began: its latest first attempt (attempts
 * count from 1 again after a redrive), else the oldest attempt the history still holds, else
 * `fallback` (a failure recorded before the history existed).
 */
export function failingSince(history: readonly AttemptRecord[], fallback: Date): Date {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.attempt === 1) return history[i]!.at;
  return history[0]?.at ?? fallback;
}
