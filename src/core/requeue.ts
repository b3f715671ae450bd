import { invalidArgument } from './errors.js';
import type { RequeueOptions, RequeuePosition } from './store.js';
import { checkIds } from './store-options.js';

const POSITIONS: readonly RequeuePosition[] = ['keep', 'end'];

/** Checks a requeue's ids and options; returns where the requeued messages go. */
export function resolveRequeue(ids: readonly string[], options: RequeueOptions | undefined): RequeuePosition {
  checkIds('ids', ids);
  if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidArgument('options', options, 'must be an object');
  const position = options?.position ?? 'keep';
  if (!POSITIONS.includes(position)) throw invalidArgument('position', position, `must be one of ${POSITIONS.join(', ')}`);
  return position;
}

/** What a store does for `requeueDeadLetters`, in its own SQL; `requeueDeadLetters` below does the rest. */
export interface RequeueSteps {
  /** Requeues these dead letters in place, all or nothing (one statement); returns how many. */
  inPlace(ids: readonly string[]): Promise<number>;
  /** The dead letters among these ids, in position order. */
  deadInOrder(ids: readonly string[]): Promise<string[]>;
  /** Requeues one dead letter at a new position after every message written so far; 1 or 0. */
  atEnd(id: string): Promise<number>;
  /** The store's error for breaking the pending dedup-key rule (a unique index). */
  isDedupConflict(error: unknown): boolean;
}

/**
 * `requeueDeadLetters` of every store: the rules in one place, the SQL in the store's steps.
 * At the end, one message after the other, in their position order: they keep their relative
 * order, as the messages of one key must.
 */
export async function requeueDeadLetters(ids: readonly string[], options: RequeueOptions | undefined, steps: RequeueSteps): Promise<number> {
  const position = resolveRequeue(ids, options);
  if (ids.length === 0) return 0;
  if (position === 'keep') return requeueSkippingDedup(ids, (some) => steps.inPlace(some), steps.isDedupConflict);
  let n = 0;
  for (const id of await steps.deadInOrder(ids)) n += await requeueSkippingDedup([id], ([one]) => steps.atEnd(one!), steps.isDedupConflict);
  return n;
}

/**
 * The one rule of a requeue that meets the pending dedup-key rule (a dead letter whose dedup key
 * is pending again, or two dead letters of one key requeued together): the whole batch is tried
 * at once, and when the store reports that conflict, id by id in the order given, so the
 * conflicting message stays dead, is not counted, and the rest of the batch is requeued. The
 * pending message with that key wins, as at write time. `requeue` must change nothing when it
 * reports the conflict (one statement, or a transaction).
 */
async function requeueSkippingDedup(ids: readonly string[], requeue: (ids: readonly string[]) => Promise<number>, isDedupConflict: (error: unknown) => boolean): Promise<number> {
  try {
    return await requeue(ids);
  } catch (error) {
    if (!isDedupConflict(error)) throw error;
    if (ids.length === 1) return 0;
    let n = 0;
    for (const id of ids) n += await requeueSkippingDedup([id], requeue, isDedupConflict);
    return n;
  }
}
