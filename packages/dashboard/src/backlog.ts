import type { DashboardStore, StatsLike } from './types.js';

export interface Backlog extends StatsLike {
  /** `stats()` answered, or the counts were made with the query API. */
  readonly source: 'stats' | 'query';
}

/**
 * Backlog by state and lag: from the store's `stats()` where it has one (one cheap query), else
 * counted with the query API (five counts and the oldest due message).
 */
export async function readBacklog(store: DashboardStore, now = Date.now()): Promise<Backlog> {
  if (typeof store.stats === 'function') return { ...(await store.stats()), source: 'stats' };
  const q = store.query!;
  const total = async (state: 'pending' | 'due' | 'delayed' | 'inFlight' | 'dead') => (await q.list({ state, limit: 1 })).total;
  const [pending, due, delayed, inFlight, dead, oldest] = await Promise.all([
    total('pending'),
    total('due'),
    total('delayed'),
    total('inFlight'),
    total('dead'),
    q.list({ state: 'due', limit: 1 }),
  ]);
  const head = oldest.messages[0];
  const lagMs = head ? Math.max(0, now - Math.max(head.createdAt.getTime(), head.availableAt.getTime())) : 0;
  return { pending, due, delayed, inFlight, dead, lagMs, source: 'query' };
}
