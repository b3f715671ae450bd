import { errorMessage } from './errors.js';
import type { RelayEvent } from './events.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What one event becomes in the log: the table in docs/relay.md is this function. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  /** Structured fields: `event`, `outbox`, counts, ids, and `err` (pino's error key) when there is one. */
  readonly fields: Record<string, unknown>;
  /**
   * Identical failures share a signature (event type, then what tells them apart: the error's
   * text, the message key): the logger writes the first and summarizes the repeats.
   */
  readonly signature?: string;
}

export function logRecord(e: RelayEvent): LogRecord {
  const fields = { event: e.type, outbox: `${e.key.kind}/${e.key.name}` };
  const loud = (level: 'warn' | 'error', message: string, more: Record<string, unknown>, discriminator = 'err' in more ? errorText(more.err) : ''): LogRecord => ({
    level,
    message,
    fields: { ...fields, ...more },
    signature: `${e.type}|${discriminator}`,
  });
  const quiet = (level: 'debug' | 'info', message: string, more: Record<string, unknown> = {}): LogRecord => ({ level, message, fields: { ...fields, ...more } });
  switch (e.type) {
    case 'relay.started':
      return quiet('debug', 'relay started', { relay: e.owner });
    case 'relay.stopped':
      return quiet('debug', 'relay stopped', { relay: e.owner });
    case 'claim.failed':
      return loud('warn', 'claiming messages failed (is the database reachable?); retrying', { retryInMs: e.retryInMs, err: e.error });
    case 'produce.failed':
      return loud('warn', 'publishing a batch failed (is the broker reachable?); retrying', { count: e.count, retryInMs: e.retryInMs, err: e.error });
    case 'batch.settled': {
      const { claimed, delivered, failed, released, dead, lost, claimMs, produceMs, settleMs } = e;
      const counts = { claimed, delivered, failed, released, dead, lost, claimMs, produceMs, settleMs };
      if (lost > 0) return loud('warn', 'a claim was lost: another relay took these messages over and may deliver them again', counts, 'lost');
      return quiet('debug', 'batch settled', counts);
    }
    case 'message.failed':
      return loud('warn', 'a message failed; it will be retried', { messageId: e.id, messageKey: e.messageKey, attempt: e.attempt, retryInMs: e.retryInMs, err: e.error });
    case 'message.dead':
      return loud('error', 'a message was dead-lettered: it will not be retried', { messageId: e.id, messageKey: e.messageKey, attempt: e.attempt, err: e.error });
    case 'order.violated':
      return loud('error', 'the producer published messages of a key after an earlier one of that key failed: their order is broken', { ids: e.ids });
    case 'batch.expired':
      return loud('warn', 'a batch was claimed too long ago to publish safely (was the process paused?); released unpublished', { count: e.count });
    case 'settle.failed':
      return e.willRetry
        ? loud('warn', 'acknowledging a batch failed; retrying', { attempt: e.attempt, err: e.error })
        : loud('error', 'acknowledging a batch failed: its messages will be delivered again once their claim times out', { attempt: e.attempt, err: e.error });
    case 'cleanup.done':
      return quiet('debug', 'cleanup done', { removed: e.removed });
    case 'cleanup.failed':
      return loud('warn', 'removing processed messages failed; next try at the next cleanup interval', { err: e.error });
    case 'watch.failed':
      return loud('warn', 'watching the store failed; polling meanwhile, retrying', { retryInMs: e.retryInMs, err: e.error });
    case 'schedule.fired':
      return quiet('debug', 'schedule fired', { schedule: e.name, scheduledFor: e.scheduledFor });
    case 'schedule.failed':
      return loud('warn', 'firing a schedule failed; it stays due', { err: e.error });
    case 'stats.sampled': {
      const { pending, due, delayed, inFlight, dead, lagMs } = e.stats;
      return quiet('debug', 'outbox stats', { pending, due, delayed, inFlight, dead, lagMs });
    }
    case 'stats.failed':
      return loud('warn', 'reading the outbox stats failed', { err: e.error });
    case 'backlog.growing':
      return loud('warn', `more than ${e.threshold} messages have been due for over ${seconds(e.forMs)} and the backlog is not shrinking`, { due: e.due, threshold: e.threshold, forMs: e.forMs }, '');
    case 'lag.high':
      return loud('warn', `the oldest due message has waited ${seconds(e.lagMs)}, over the ${seconds(e.thresholdMs)} threshold`, { lagMs: e.lagMs, thresholdMs: e.thresholdMs, oldestDueAt: e.oldestDueAt }, '');
    case 'key.blocked':
      return loud('warn', `the head of key "${e.messageKey}" has failed ${e.attempt} times: the key's later messages wait behind it`, { messageKey: e.messageKey, messageId: e.id, attempt: e.attempt, err: e.error }, e.messageKey);
    case 'recovered':
      return quiet('info', `recovered from ${e.condition} after ${e.count} report${e.count === 1 ? '' : 's'} over ${seconds(e.durationMs)}`, { condition: e.condition, count: e.count, durationMs: e.durationMs });
  }
}

/** The error's code and text, short: what tells one failure from another. */
export function errorText(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = errorMessage(error);
  return (typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text).slice(0, 300);
}

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
