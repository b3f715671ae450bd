export { createOutbox, type Outbox, type OutboxOptions, type SendResult } from './outbox.js';
export { createRelay, type Relay, type RelayStats } from './relay.js';
export type { RelayOptions, CleanupOptions } from './relay-options.js';
export type { RelayHealth } from './health.js';
export { consoleLogger, type Logger, type LogLevel } from './logger.js';
export type { WarningOptions } from './warnings.js';
export type { OutboxStats, OutboxCounts, StatsOptions } from './stats.js';
export type { BatchReport } from './deliver.js';
export type { RelayEvent, RelayEventListener, RecoverableCondition } from './events.js';
export { parsePayload, type MessageInput, type OutboxMessage, type EncodedMessage, type TraceContext } from './message.js';
export type { Producer, ProduceFn, ProduceContext, ProduceResult, ProduceFailure } from './producer.js';
export type {
  OutboxStore,
  OutboxKey,
  ClaimRequest,
  ClaimedBatch,
  CompletionMode,
  DeadLetter,
  MessageFailure,
  Settlement,
  SettleResult,
  WriteResult,
  RequeueOptions,
  RequeuePosition,
} from './store.js';
export { TxboxError, PermanentFailure, type TxboxErrorCode } from './errors.js';
export { uuidv7, isUuid } from './ids.js';
export { systemClock, type Clock } from './clock.js';
export type { BackoffOptions } from './backoff.js';
export { WakeChannel } from './wake.js';
export { keepKeyOrder } from './ordering.js';
export { createInbox, type Inbox, type InboxOptions, type InboxStore, type HandlerContext, type HandleOutcome } from './inbox.js';
export { startInboxCleanup, type InboxCleanupOptions } from './inbox-cleanup.js';
export type { ProcessHook, ProcessInfo } from './process-hook.js';
export { inboxHandler, type InboxHandlerOptions } from './inbox-handler.js';
export type { ScheduleStore, StoredSchedule } from './schedule-store.js';
export { INBOX_SCHEMA_VERSION, OUTBOX_SCHEMA_VERSION, SCHEDULES_SCHEMA_VERSION, SCHEMA_REGISTRY_TABLE, type ColumnTypeDrift, type SchemaStatus, type SchemaTableKind } from './schema-version.js';
export type { MessageQueries, MessageState, MessageFilter, DeadLetterFilter, ListRequest, MessagePage, StoredMessage, StoredState, BlockedKey, BlockedKeysPage, BlockedKeysRequest, BatchOptions, RedriveOptions, AttemptRecord, MessageDetails } from './queries.js';
export { ATTEMPT_HISTORY_LIMIT } from './queries.js';
