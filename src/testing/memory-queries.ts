import type { EncodedMessage, OutboxMessage } from '../core/message.js';
import { messageQueries } from '../core/message-queries.js';
import type { AttemptRecord, BlockedKey, MessageQueries, Positioned, QueryBackend, ResolvedFilter, StoredMessage, StoredState } from '../core/queries.js';
import { failingSince } from '../stores/shared/history.js';

/** What the memory store keeps per message, as far as queries read it. */
export interface MemoryQueryRow {
  readonly position: number;
  readonly message: EncodedMessage;
  readonly createdAt: number;
  readonly availableAt: number;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly leaseUntil: number;
  readonly processedAt: number | null;
  readonly deadAt: number | null;
  readonly history: readonly AttemptRecord[];
}

export interface MemoryQuerySource {
  /** Every row, in position order. */
  rows(): Iterable<MemoryQueryRow>;
  byId(id: string): MemoryQueryRow | undefined;
  now(): number;
  requeue: QueryBackend['requeue'];
  discard: QueryBackend['discard'];
}

/** A memory row as the message a claim or a query hands out. */
export function memoryRowMessage(r: Pick<MemoryQueryRow, 'message' | 'createdAt' | 'availableAt' | 'attempts'>): OutboxMessage {
  return {
    id: r.message.id,
    topic: r.message.topic,
    key: r.message.key,
    payload: r.message.payload,
    contentType: r.message.contentType,
    headers: r.message.headers ?? {},
    createdAt: new Date(r.createdAt),
    availableAt: new Date(r.availableAt),
    attempts: r.attempts,
    dedupKey: r.message.dedupKey,
  };
}

const isPending = (r: MemoryQueryRow) => r.processedAt === null && r.deadAt === null;

/** The query API over the memory store's rows, with the same meaning as the SQL stores'. */
export function memoryQueries(source: MemoryQuerySource): MessageQueries {
  const stateOf = (r: MemoryQueryRow, now: number): StoredState => {
    if (r.processedAt !== null) return 'processed';
    if (r.deadAt !== null) return 'dead';
    if (r.leaseUntil > now) return 'inFlight';
    return r.availableAt > now ? 'delayed' : 'due';
  };
  const stored = (r: MemoryQueryRow, now: number): StoredMessage => ({
    ...memoryRowMessage(r),
    state: stateOf(r, now),
    lastError: r.lastError,
    deadAt: r.deadAt === null ? null : new Date(r.deadAt),
  });
  const matches = (r: MemoryQueryRow, f: ResolvedFilter, now: number) => {
    const state = stateOf(r, now);
    if (f.state === 'pending' ? !isPending(r) : state !== f.state) return false;
    const m = r.message;
    if (f.topic !== undefined && m.topic !== f.topic) return false;
    if (f.key !== undefined && m.key !== f.key) return false;
    if (f.createdBefore !== undefined && !(r.createdAt < f.createdBefore.getTime())) return false;
    if (f.createdAfter !== undefined && !(r.createdAt > f.createdAfter.getTime())) return false;
    if (f.error !== undefined && !(r.lastError ?? '').includes(f.error)) return false;
    if (f.header !== undefined && m.headers?.[f.header.name] !== f.header.value) return false;
    return true;
  };
  const matching = (f: ResolvedFilter) => {
    const now = source.now();
    return [...source.rows()].filter((r) => matches(r, f, now));
  };

  return messageQueries({
    inFlightVisible: true,
    async page(f, after, limit) {
      const now = source.now();
      const from = after === null ? -1 : Number(after);
      return matching(f)
        .filter((r) => r.position > from)
        .slice(0, limit)
        .map((r) => ({ position: String(r.position), value: stored(r, now) }));
    },
    count: async (f) => matching(f).length,
    async get(id) {
      const r = source.byId(id);
      return r ? { ...stored(r, source.now()), history: [...r.history] } : null;
    },
    async blocked(after, limit) {
      const now = source.now();
      const from = after === null ? -1 : Number(after);
      const firstOfKey = new Map<string, MemoryQueryRow>();
      const behind = new Map<string, number>();
      for (const r of source.rows()) {
        const key = r.message.key;
        if (key === null || r.processedAt !== null) continue;
        if (!firstOfKey.has(key)) firstOfKey.set(key, r);
        else if (isPending(r)) behind.set(key, (behind.get(key) ?? 0) + 1);
      }
      const found: Positioned<BlockedKey>[] = [];
      for (const [key, head] of firstOfKey) {
        const reason = head.deadAt !== null ? 'dead' : head.attempts > 0 ? 'failing' : null;
        if (reason === null || head.position <= from) continue;
        const since = reason === 'dead' ? new Date(head.deadAt!) : failingSince(head.history, new Date(head.createdAt));
        found.push({ position: String(head.position), value: { key, reason, head: stored(head, now), since, behind: behind.get(key) ?? 0 } });
      }
      return found.sort((a, b) => Number(a.position) - Number(b.position)).slice(0, limit);
    },
    requeue: (ids, position) => source.requeue(ids, position),
    discard: (ids) => source.discard(ids),
  });
}
