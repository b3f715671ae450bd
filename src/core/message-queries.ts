import { invalidArgument } from './errors.js';
import { isUuid } from './ids.js';
import { MESSAGE_STATES, type BatchOptions, type DeadLetterFilter, type MessageFilter, type MessageQueries, type QueryBackend, type ResolvedFilter } from './queries.js';
import { resolveRequeue } from './requeue.js';

/**
 * The query API over a store's backend, in one place for every store: input checks, cursors,
 * and the bounded batches of redrive and discard. Stores differ in SQL only.
 */
export function messageQueries(backend: QueryBackend): MessageQueries {
  return {
    inFlightVisible: backend.inFlightVisible,
    async list(request = {}) {
      const filter = resolveFilter(request);
      const limit = checkLimit('limit', request.limit, 50);
      const after = decodeCursor(request.cursor);
      // One row more than asked tells whether another page exists without a second query.
      const [rows, total] = await Promise.all([backend.page(filter, after, limit + 1), backend.count(filter)]);
      const page = rows.slice(0, limit);
      return { messages: page.map((r) => r.value), total, next: rows.length > limit ? page[page.length - 1]!.position : null };
    },
    async get(id) {
      if (!isUuid(id)) throw invalidArgument('id', id, 'must be a message id (a UUID)');
      return backend.get(id);
    },
    async blockedKeys(request = {}) {
      const limit = checkLimit('limit', request.limit, 50);
      const rows = await backend.blocked(decodeCursor(request.cursor), limit + 1);
      const page = rows.slice(0, limit);
      return { keys: page.map((r) => r.value), next: rows.length > limit ? page[page.length - 1]!.position : null };
    },
    async redrive(filter, options) {
      const position = resolveRequeue([], options);
      return eachDeadBatch(backend, filter, options, (ids) => backend.requeue(ids, position));
    },
    discard: (filter, options) => eachDeadBatch(backend, filter, options, (ids) => backend.discard(ids)),
  };
}

/**
 * Walks the matching dead letters by position, one batch per statement, so neither a huge
 * selection nor one that cannot be acted on (a requeue the store refuses) makes it loop: each
 * batch starts after the last position seen.
 */
async function eachDeadBatch(backend: QueryBackend, given: DeadLetterFilter | undefined, options: BatchOptions = {}, act: (ids: readonly string[]) => Promise<number>): Promise<number> {
  if (given !== undefined && given !== null && typeof given === 'object' && 'state' in given) {
    throw invalidArgument('filter.state', (given as MessageFilter).state, 'must be left out: only dead letters are redriven or discarded');
  }
  const filter = resolveFilter({ ...(given ?? {}), state: 'dead' });
  const batchSize = checkLimit('batchSize', options.batchSize, 100);
  const max = options.limit ?? Infinity;
  if (!(max === Infinity || (Number.isInteger(max) && max >= 0))) throw invalidArgument('limit', max, 'must be a non-negative integer');
  let after: string | null = null;
  let done = 0;
  let seen = 0;
  while (seen < max && !options.signal?.aborted) {
    const rows = await backend.page(filter, after, Math.min(batchSize, max - seen));
    if (rows.length === 0) break;
    seen += rows.length;
    done += await act(rows.map((r) => r.value.id));
    after = rows[rows.length - 1]!.position;
    if (rows.length < batchSize) break;
  }
  return done;
}

function resolveFilter(f: MessageFilter): ResolvedFilter {
  if (f === null || typeof f !== 'object') throw invalidArgument('filter', f, 'must be an object');
  const state = f.state ?? 'pending';
  if (!MESSAGE_STATES.includes(state)) throw invalidArgument('state', state, `must be one of ${MESSAGE_STATES.join(', ')}`);
  for (const field of ['topic', 'key', 'error'] as const) {
    const v = f[field];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw invalidArgument(field, v, 'must be a non-empty string');
  }
  for (const field of ['createdBefore', 'createdAfter'] as const) {
    const v = f[field];
    if (v !== undefined && !(v instanceof Date && !Number.isNaN(v.getTime()))) throw invalidArgument(field, v, 'must be a valid Date');
  }
  const h = f.header;
  if (h !== undefined && (h === null || typeof h !== 'object' || typeof h.name !== 'string' || h.name.length === 0 || typeof h.value !== 'string')) {
    throw invalidArgument('header', h, 'must be { name, value } with a non-empty name');
  }
  return { state, topic: f.topic, key: f.key, createdBefore: f.createdBefore, createdAfter: f.createdAfter, error: f.error, header: h };
}

function checkLimit(field: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!(Number.isInteger(n) && n >= 1 && n <= 1000)) throw invalidArgument(field, value, 'must be an integer from 1 to 1000');
  return n;
}

/** Cursors are positions as decimal text; opaque to callers. */
function decodeCursor(cursor: string | null | undefined): string | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  if (typeof cursor !== 'string' || !/^\d{1,20}$/.test(cursor)) throw invalidArgument('cursor', cursor, "must be a page's `next` value");
  return cursor;
}
