import { systemClock, type Clock } from '../core/clock.js';
import { TxboxError } from '../core/errors.js';
import type { EncodedMessage, OutboxMessage } from '../core/message.js';
import { claimInKeyOrderSync } from '../core/ordering.js';
import type { ClaimedBatch, DeadLetter, OutboxStore, Settlement, SettleResult, WriteResult } from '../core/store.js';
import { checkIds, resolveCommonStoreOptions, type CommonStoreOptions } from '../core/store-options.js';
import { summarizeStats, type StatsPart } from '../core/stats.js';
import { WakeChannel } from '../core/wake.js';
import { ATTEMPT_HISTORY_LIMIT, type AttemptRecord } from '../core/queries.js';
import { requeueDeadLetters, type RequeueSteps } from '../core/requeue.js';
import { memoryQueries, memoryRowMessage } from './memory-queries.js';

interface Row {
  position: number;
  message: EncodedMessage;
  createdAt: number;
  availableAt: number;
  attempts: number;
  lastError: string | null;
  leaseToken: string | null;
  leaseUntil: number;
  processedAt: number | null;
  deadAt: number | null;
  history: AttemptRecord[];
}

/** What a unique index on pending dedup keys would raise: the memory store's own, never thrown out of it. */
class DedupConflict extends Error {}

/** A transaction of the in-memory store: writes become visible on commit, vanish on rollback. */
export class MemoryTransaction {
  readonly writes: EncodedMessage[] = [];
  /** Run after the transaction's writes are applied (the memory inbox uses these). */
  readonly onCommit: (() => void)[] = [];
  readonly onRollback: (() => void)[] = [];
}

export interface MemoryStoreOptions extends CommonStoreOptions {
  clock?: Clock;
}

export interface MemoryStore extends OutboxStore<MemoryTransaction> {
  /** Runs `fn` in a transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: MemoryTransaction) => Promise<T> | T): Promise<T>;
  /** Messages not yet delivered (nor dead). */
  pendingCount(): number;
  /** Rows in any state: pending, processed (mark-processed mode) or dead. */
  rowCount(): number;
}

interface MemoryBatch extends ClaimedBatch {
  token: string;
}

const isPending = (r: Row) => r.processedAt === null && r.deadAt === null;

/** An outbox store in process memory with the same claim rules as the SQL stores: for users' unit tests. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const common = resolveCommonStoreOptions(options);
  const clock = options.clock ?? systemClock;
  const rows = new Map<number, Row>();
  const byId = new Map<string, Row>();
  let nextPosition = 1;
  let nextToken = 1;

  const pendingDedup = (key: string) => [...rows.values()].some((r) => isPending(r) && r.message.dedupKey === key);

  /**
   * Dedup keys written by transactions still open, as a unique index sees them: a second writer
   * of the same key waits for the first to commit (then it is a duplicate) or roll back.
   */
  const inFlight = new Map<string, { tx: MemoryTransaction; done: Promise<void> }>();

  /** Checks at write time, as the SQL stores do, so `send()` reports duplicates at once. */
  const stage = (tx: MemoryTransaction, messages: readonly EncodedMessage[]): WriteResult => {
    const duplicates: string[] = [];
    for (const [i, m] of messages.entries()) {
      if (byId.has(m.id) || tx.writes.some((w) => w.id === m.id)) {
        throw new TxboxError('DUPLICATE_ID', `a message with id ${m.id} (messages[${i}]) already exists`, { field: `messages[${i}].id`, value: m.id });
      }
      if (m.dedupKey === null) {
        tx.writes.push(m);
        continue;
      }
      const holder = inFlight.get(m.dedupKey);
      if (holder && holder.tx !== tx) {
        // A database would wait here; a synchronous call cannot, and no synchronous store lets two transactions overlap.
        throw new TxboxError('NOT_SUPPORTED', `another open transaction is writing dedup key ${m.dedupKey}: use send(), which waits for it`, { field: 'dedupKey', value: m.dedupKey });
      }
      if (holder || pendingDedup(m.dedupKey)) duplicates.push(m.id);
      else reserve(tx, m);
    }
    return { duplicates };
  };

  const reserve = (tx: MemoryTransaction, m: EncodedMessage) => {
    let finish!: () => void;
    const key = m.dedupKey!;
    inFlight.set(key, { tx, done: new Promise((r) => (finish = r)) });
    const end = () => {
      inFlight.delete(key);
      finish();
    };
    tx.onCommit.unshift(end);
    tx.onRollback.push(end);
    tx.writes.push(m);
  };

  /** Waits, as a unique index would, for other open transactions writing these dedup keys. */
  const stageWaiting = async (tx: MemoryTransaction, messages: readonly EncodedMessage[]): Promise<WriteResult> => {
    for (;;) {
      const holder = messages.map((m) => (m.dedupKey === null ? undefined : inFlight.get(m.dedupKey))).find((h) => h && h.tx !== tx);
      if (!holder) return stage(tx, messages);
      await holder.done;
    }
  };

  const commit = (writes: readonly EncodedMessage[]) => {
    for (const m of writes) {
      const now = clock.now();
      const row: Row = {
        position: nextPosition++,
        message: m,
        createdAt: now,
        availableAt: m.availableAt?.getTime() ?? now + m.delayMs,
        attempts: 0,
        lastError: null,
        leaseToken: null,
        leaseUntil: 0,
        processedAt: null,
        deadAt: null,
        history: [],
      };
      rows.set(row.position, row);
      byId.set(m.id, row);
    }
  };

  const toMessage = (r: Row): OutboxMessage => memoryRowMessage(r);

  const remove = (r: Row) => {
    rows.delete(r.position);
    byId.delete(r.message.id);
  };

  /** The dead rows of these ids, refused all together when one would break the pending dedup-key rule. */
  const findDead = (ids: readonly string[]): Row[] => [...new Set(ids)].map((id) => byId.get(id)).filter((r): r is Row => r !== undefined && r.deadAt !== null);
  const deadRows = (ids: readonly string[]): Row[] => {
    const found = findDead(ids);
    const keys = found.map((r) => r.message.dedupKey).filter((k): k is string => k !== null);
    if (new Set(keys).size < keys.length || keys.some(pendingDedup)) throw new DedupConflict();
    return found;
  };
  const revive = (r: Row) => Object.assign(r, { deadAt: null, attempts: 0, lastError: null, availableAt: clock.now() });
  const requeueSteps: RequeueSteps = {
    inPlace: async (ids) => deadRows(ids).map(revive).length,
    deadInOrder: async (ids) => findDead(ids).sort((a, b) => a.position - b.position).map((r) => r.message.id),
    async atEnd(id) {
      const [r] = deadRows([id]);
      if (!r) return 0;
      // A new position, and a new place in the map, which iterates in position order.
      rows.delete(r.position);
      r.position = nextPosition++;
      rows.set(r.position, revive(r));
      return 1;
    },
    isDedupConflict: (error) => error instanceof DedupConflict,
  };

  const store: MemoryStore = {
    key: { kind: 'memory', name: common.name },
    completion: common.completion,
    claimTimeoutMs: common.claimTimeoutMs,
    wakes: new WakeChannel(),

    async transaction(fn) {
      const tx = new MemoryTransaction();
      let result;
      try {
        result = await fn(tx);
        commit(tx.writes);
      } catch (error) {
        tx.onRollback.forEach((hook) => hook());
        throw error;
      }
      tx.onCommit.forEach((hook) => hook());
      store.wakes.nudge();
      return result;
    },
    async replacePending(tx, m) {
      const now = clock.now();
      const row = [...rows.values()].find((r) => isPending(r) && r.message.dedupKey === m.dedupKey && r.leaseUntil <= now);
      if (!row) return false;
      tx.onCommit.push(() => {
        byId.delete(row.message.id);
        row.message = { ...m, dedupKey: row.message.dedupKey };
        row.availableAt = m.availableAt?.getTime() ?? now + m.delayMs;
        // As in the SQL stores, the rewrite fences out the expired claim that held the old content.
        row.leaseToken = null;
        row.leaseUntil = 0;
        byId.set(m.id, row);
      });
      return true;
    },
    write: stageWaiting,
    writeSync: stage,
    async claim({ limit }) {
      const now = clock.now();
      const claimable = (r: Row) => isPending(r) && r.availableAt <= now && r.leaseUntil <= now;
      const { kept, hasMore } = claimInKeyOrderSync<number, { position: number; key: string | null; row: Row }>(
        {
          scan: (after, excluded, n) => {
            const found: { position: number; key: string | null; row: Row }[] = [];
            for (const r of rows.values()) {
              if (found.length >= n) break;
              if (claimable(r) && (after === null || (r.position > after && (r.message.key === null || !excluded.includes(r.message.key))))) {
                found.push({ position: r.position, key: r.message.key, row: r });
              }
            }
            return found;
          },
          heads: (wanted) =>
            new Map([...wanted].map(([key, n]) => [key, [...rows.values()].filter((r) => isPending(r) && r.message.key === key).slice(0, n).map((r) => r.position)])),
        },
        limit,
      );
      const token = String(nextToken++);
      for (const { row } of kept) {
        row.leaseToken = token;
        row.leaseUntil = now + common.claimTimeoutMs;
      }
      const batch: MemoryBatch = { messages: kept.map(({ row }) => toMessage(row)), hasMore, token };
      return batch;
    },
    async settle(batch, s: Settlement): Promise<SettleResult> {
      const { token } = batch as MemoryBatch;
      const now = clock.now();
      let lost = 0;
      const owned = (id: string) => {
        const r = byId.get(id);
        if (r && r.leaseToken === token && isPending(r)) return r;
        lost++;
        return undefined;
      };
      for (const id of s.delivered) {
        const r = owned(id);
        if (!r) continue;
        if (common.completion === 'delete') remove(r);
        else Object.assign(r, { processedAt: now, leaseToken: null, leaseUntil: 0 });
      }
      for (const f of s.failed) {
        const r = owned(f.id);
        if (!r) continue;
        r.history = [...r.history, { attempt: r.attempts + 1, at: new Date(now), error: f.error, relay: s.relay ?? null }].slice(-ATTEMPT_HISTORY_LIMIT);
        Object.assign(r, { attempts: r.attempts + 1, lastError: f.error, leaseToken: null, leaseUntil: 0 });
        if (f.dead) r.deadAt = now;
        else r.availableAt = now + f.retryInMs;
      }
      for (const id of s.released) {
        const r = owned(id);
        if (r) Object.assign(r, { leaseToken: null, leaseUntil: 0 });
      }
      return { lost };
    },
    async cleanup(maxAgeMs, limit) {
      const cutoff = clock.now() - maxAgeMs;
      const old = [...rows.values()].filter((r) => r.processedAt !== null && r.processedAt < cutoff).slice(0, limit);
      old.forEach(remove);
      return old.length;
    },
    async listDeadLetters({ limit = 100, header } = {}): Promise<DeadLetter[]> {
      return [...rows.values()]
        .filter((r) => r.deadAt !== null && (header === undefined || r.message.headers?.[header.name] === header.value))
        .slice(0, limit)
        .map((r) => ({ ...toMessage(r), error: r.lastError, deadAt: new Date(r.deadAt!) }));
    },
    requeueDeadLetters: (ids, options) => requeueDeadLetters(ids, options, requeueSteps),
    async discardDeadLetters(ids) {
      checkIds('ids', ids);
      let n = 0;
      for (const id of ids) {
        const r = byId.get(id);
        if (r?.deadAt == null) continue;
        remove(r);
        n++;
      }
      return n;
    },
    async stats({ byTopic = false } = {}) {
      const now = clock.now();
      const parts: StatsPart[] = [];
      for (const r of rows.values()) {
        if (r.processedAt !== null) continue;
        if (r.deadAt !== null) {
          parts.push({ topic: r.message.topic, pending: 0, delayed: 0, inFlight: 0, dead: 1, oldestDueMs: null });
          continue;
        }
        const held = r.leaseUntil > now;
        const delayed = !held && r.availableAt > now;
        parts.push({ topic: r.message.topic, pending: 1, delayed: delayed ? 1 : 0, inFlight: held ? 1 : 0, dead: 0, oldestDueMs: held || delayed ? null : r.availableAt });
      }
      return summarizeStats(parts, now, byTopic);
    },
    async migrate() {},
    schemaSql: () => '-- the memory store keeps no schema',
    query: memoryQueries({ rows: () => rows.values(), byId: (id) => byId.get(id), now: () => clock.now(), requeue: (ids, position) => store.requeueDeadLetters(ids, { position }), discard: (ids) => store.discardDeadLetters(ids) }),
    pendingCount: () => [...rows.values()].filter(isPending).length,
    rowCount: () => rows.size,
  };
  return store;
}
