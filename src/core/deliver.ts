import { backoffDelay } from './backoff.js';
import { TxboxError } from './errors.js';
import { safeEmitter, type RelayEventListener } from './events.js';
import { malformedReason, type OutboxMessage } from './message.js';
import { checkProduceResult } from './producer.js';
import type { ResolvedRelayOptions } from './relay-options.js';
import { planSettlement, type ProduceOutcome } from './settlement.js';
import type { ClaimedBatch, Settlement, SettleResult } from './store.js';

export interface BatchReport {
  readonly claimed: number;
  readonly delivered: number;
  readonly failed: number;
  readonly released: number;
  readonly dead: number;
  readonly lost: number;
  /** The producer threw (or timed out) instead of answering per message. */
  readonly producerThrew: boolean;
  /** What it threw. */
  readonly producerError?: unknown;
  /** Nothing got through because the destination was unreachable: back off before claiming again. */
  readonly unreachable: boolean;
  readonly hasMore: boolean;
}

/**
 * Produces one claimed batch with a deadline, then acknowledges what was published. Never throws,
 * and whatever throws inside (the producer, planning, a listener, the clock) the batch is handed
 * to the store exactly once: settled, or released when the relay could not decide. A claim left
 * unsettled would hold its rows, and in lock mode a pooled connection, until the claim timeout.
 */
export async function deliverBatch(
  o: ResolvedRelayOptions,
  batch: ClaimedBatch,
  /** When the claim was requested: the earliest its lease or transaction can have begun. */
  claimedAt: number,
  claimMs: number,
  listener: RelayEventListener,
): Promise<BatchReport> {
  const emit = safeEmitter(listener);
  let handed = false;
  const settle = (settlement: Settlement) => {
    handed = true;
    // The owner goes with every settlement: stores record it in each failed attempt's history.
    return settleWithRetries(o, batch, { ...settlement, relay: o.owner }, emit);
  };
  try {
    return await produceAndSettle(o, batch, claimedAt, claimMs, emit, settle);
  } catch (error) {
    const released = batch.messages.map((m) => m.id);
    const { lost } = handed ? { lost: 0 } : await settle({ delivered: [], failed: [], released });
    // Reported as a producer failure so the worker backs off instead of spinning on the fault.
    const counts = { delivered: 0, failed: 0, released: handed ? 0 : released.length - lost, dead: 0, lost };
    return report(batch, { ...counts, producerThrew: true, producerError: error, unreachable: false });
  }
}

async function produceAndSettle(
  o: ResolvedRelayOptions,
  batch: ClaimedBatch,
  claimedAt: number,
  claimMs: number,
  emit: RelayEventListener,
  settle: (settlement: Settlement) => Promise<SettleResult>,
): Promise<BatchReport> {
  const key = o.store.key;
  const messages = batch.messages;
  // A worker that was paused past its claim must not publish: another relay may own the batch now.
  if (o.clock.now() - claimedAt > o.store.claimTimeoutMs - o.produceTimeoutMs) {
    emit({ type: 'batch.expired', key, count: messages.length });
    const { lost } = await settle({ delivered: [], failed: [], released: messages.map((m) => m.id) });
    return report(batch, { delivered: 0, failed: 0, released: messages.length, dead: 0, lost, producerThrew: false, unreachable: false });
  }

  const produceStart = o.clock.now();
  const readable = messages.filter((m) => malformedReason(m) === undefined);
  const produced: ProduceOutcome = readable.length > 0 ? await produceWithDeadline(o, readable) : { result: { ok: [], failed: [] } };
  const outcome = withMalformed(messages, produced);
  const produceMs = o.clock.now() - produceStart;
  const { settlement, orderViolations, unavailable } = planSettlement(messages, outcome, o);

  const settleStart = o.clock.now();
  const { lost } = await settle(settlement);
  const settleMs = o.clock.now() - settleStart;

  let dead = 0;
  const byId = new Map(messages.map((m) => [m.id, m]));
  for (const f of settlement.failed) {
    if (f.dead) dead++;
    const m = byId.get(f.id);
    const about = { key, id: f.id, messageKey: m?.key ?? null, attempt: (m?.attempts ?? 0) + 1, error: f.error };
    emit(f.dead ? { type: 'message.dead', ...about } : { type: 'message.failed', ...about, retryInMs: f.retryInMs });
  }
  if (orderViolations.length > 0) emit({ type: 'order.violated', key, ids: orderViolations });
  const counts = {
    delivered: settlement.delivered.length,
    failed: settlement.failed.length - dead,
    released: settlement.released.length,
    dead,
    lost,
  };
  emit({ type: 'batch.settled', key, claimed: messages.length, ...counts, claimMs, produceMs, settleMs });
  const unreachable = unavailable > 0 && counts.delivered === 0;
  return report(batch, {
    ...counts,
    producerThrew: 'thrown' in outcome,
    unreachable,
    ...('thrown' in outcome ? { producerError: outcome.thrown } : unreachable ? { producerError: unreachableError(messages, outcome) } : {}),
  });
}

function report(batch: ClaimedBatch, counts: Omit<BatchReport, 'claimed' | 'hasMore'>): BatchReport {
  return { claimed: batch.messages.length, hasMore: batch.hasMore, ...counts };
}

async function produceWithDeadline(o: ResolvedRelayOptions, messages: readonly OutboxMessage[]): Promise<ProduceOutcome> {
  const abort = new AbortController();
  const cancelDeadline = new AbortController();
  // Made only when the deadline passes: an error's stack trace, and the DOMException a bare
  // abort() makes, cost a noticeable share of a fast batch.
  let timeout: TxboxError | undefined;
  const deadline = o.clock.sleep(o.produceTimeoutMs, cancelDeadline.signal).then((): ProduceOutcome => {
    // Cancelled: the call answered first and no one reads this outcome (were it read, it would
    // fail the batch, never acknowledge it).
    if (cancelDeadline.signal.aborted) return { thrown: ANSWERED };
    timeout = new TxboxError('PRODUCE_TIMEOUT', `the producer did not answer within ${o.produceTimeoutMs} ms`);
    abort.abort(timeout);
    return { thrown: timeout };
  });
  const call = Promise.resolve()
    .then(() => o.produce(messages, { key: o.store.key, signal: abort.signal }))
    .then(checkProduceResult)
    .then(
      (result): ProduceOutcome => ({ result }),
      (thrown): ProduceOutcome => ({ thrown }),
    );
  try {
    const first = await Promise.race([call, deadline]);
    if (timeout === undefined || !('thrown' in first) || first.thrown !== timeout) return first;
    // Producers that honour the aborted signal answer at once with what they did publish: use that
    // answer, or those messages would be published again.
    const grace = Math.min(ANSWER_GRACE_MS, Math.max(0, o.store.claimTimeoutMs - o.produceTimeoutMs - 1));
    return await Promise.race([call, o.clock.sleep(grace).then(() => first)]);
  } finally {
    cancelDeadline.abort(ANSWERED);
  }
}

/** The reason the deadline is cancelled with: any value but undefined, which would make a DOMException. */
const ANSWERED = 'answered';

/** How long a producer may take to answer once its deadline has aborted it. */
const ANSWER_GRACE_MS = 250;

/**
 * Acknowledging is never cancelled by a shutdown: a published message left unacknowledged is
 * published again later. Retries stop when the store says the claim is gone (its transaction
 * died or its lease was taken): those messages will be claimed again, which is at-least-once.
 */
async function settleWithRetries(o: ResolvedRelayOptions, batch: ClaimedBatch, settlement: Settlement, emit: RelayEventListener): Promise<SettleResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await o.store.settle(batch, settlement);
    } catch (error) {
      const claimGone = error instanceof TxboxError && error.code === 'CLAIM_LOST';
      const willRetry = !claimGone && attempt < o.settleAttempts;
      emit({ type: 'settle.failed', key: o.store.key, error, attempt, willRetry });
      if (!willRetry) return { lost: batch.messages.length };
      // A jitter source or clock that throws ends the retries, as a claim gone would.
      const waited = await retryPause(o, attempt);
      if (!waited) return { lost: batch.messages.length };
    }
  }
}

async function retryPause(o: ResolvedRelayOptions, attempt: number): Promise<boolean> {
  try {
    await o.clock.sleep(backoffDelay(o.settleBackoff, attempt, o.random));
    return true;
  } catch {
    return false;
  }
}

/** The error of the first message reported unreachable, for the produce.failed event. */
function unreachableError(messages: readonly OutboxMessage[], outcome: ProduceOutcome): unknown {
  if ('thrown' in outcome || !outcome.result) return undefined;
  const ids = new Set(messages.map((m) => m.id));
  return outcome.result.failed.find((f) => f.unavailable && ids.has(f.id))?.error;
}

/** Rows the store could not read are never produced: they fail permanently, with the reason. */
function withMalformed(messages: readonly OutboxMessage[], outcome: ProduceOutcome): ProduceOutcome {
  const bad = messages.filter((m) => malformedReason(m) !== undefined);
  if (bad.length === 0) return outcome;
  // A producer that threw failed the whole batch; planSettlement still dead-letters these rows.
  if ('thrown' in outcome) return outcome;
  const failures = bad.map((m) => ({ id: m.id, error: malformedReason(m), permanent: true }));
  const result = outcome.result;
  const good = messages.filter((m) => malformedReason(m) === undefined).map((m) => m.id);
  const ok = result === undefined ? good : result.ok;
  return { result: { ok, failed: [...failures, ...(result?.failed ?? [])] } };
}
