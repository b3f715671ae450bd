/**
 * The per-key order rule, for stores that claim in application code (the SQL stores express the
 * same rule in their claim query). A candidate with a key may be delivered only if every older
 * pending message of that key is in the same batch, ahead of it: otherwise an older message is
 * in backoff, delayed, or held by another relay, and overtaking it would break the key's order.
 *
 * `candidates` are in position order. `pendingHeads(key, n)` returns the positions of the `n`
 * oldest pending messages of `key` (whatever their state: leased, delayed, in backoff).
 */
export function keepKeyOrder<P, T extends { position: P; key: string | null }>(
  candidates: readonly T[],
  pendingHeads: (key: string, n: number) => readonly P[],
): T[] {
  const byKey = new Map<string, T[]>();
  for (const c of candidates) {
    if (c.key !== null) {
      const group = byKey.get(c.key);
      if (group) group.push(c);
      else byKey.set(c.key, [c]);
    }
  }
  const blocked = new Set<T>();
  for (const [key, group] of byKey) {
    const heads = pendingHeads(key, group.length);
    let i = 0;
    while (i < group.length && heads[i] === group[i]!.position) i++;
    for (; i < group.length; i++) blocked.add(group[i]!);
  }
  return blocked.size === 0 ? [...candidates] : candidates.filter((c) => !blocked.has(c));
}
