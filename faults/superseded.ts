import type { Observations } from './checker.js';

/**
 * Debounce rewrites a pending message, so the message it replaced is never delivered: that is its
 * promise (one handling, with the last payload), not a loss. A committed message of a debounced
 * key (a key starting with one of `prefixes`) counts as superseded, and leaves what must be
 * delivered, when it was never delivered, is not pending, and a later version of its key was
 * delivered after it committed. The last version of a key has no later one: it must arrive, so a
 * rewrite that a zombie relay acknowledged away counts as lost.
 */
export function withoutSuperseded(o: Observations, prefixes: readonly string[]): { observations: Observations; superseded: number } {
  const debounced = (key: string) => prefixes.some((p) => key.startsWith(p));
  const commitAt = new Map<string, number>();
  for (const h of o.history) if (h.ev === 'commit') commitAt.set(h.id, h.t);
  const firstAt = new Map<string, number>();
  for (const d of o.deliveries) if (!firstAt.has(d.id)) firstAt.set(d.id, d.t);
  const pending = new Set(o.pending);
  /** Per key: the delivery times of its delivered versions. */
  const deliveredVersions = new Map<string, { v: number; t: number }[]>();
  for (const c of o.committed) {
    const t = firstAt.get(c.id);
    if (!debounced(c.key) || t === undefined) continue;
    deliveredVersions.set(c.key, [...(deliveredVersions.get(c.key) ?? []), { v: c.version, t }]);
  }
  const gone = new Set<string>();
  for (const c of o.committed) {
    if (!debounced(c.key) || firstAt.has(c.id) || pending.has(c.id)) continue;
    const at = commitAt.get(c.id) ?? c.sentAtMs;
    if ((deliveredVersions.get(c.key) ?? []).some((d) => d.v > c.version && d.t >= at)) gone.add(c.id);
  }
  return {
    observations: { ...o, committed: o.committed.filter((c) => !gone.has(c.id)), history: o.history.filter((h) => !gone.has(h.id)) },
    superseded: gone.size,
  };
}
