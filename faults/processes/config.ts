/**
 * What the harness hands its child processes, as plain JSON on the command line. A child opens
 * the same database, tables and sink as the harness from this alone.
 */
export type StoreKind = 'postgres-lock' | 'postgres-lease' | 'sqlite' | 'mysql' | 'mysql-lock' | 'pglite';

/** MariaDB, in lease mode (`mysql`, the store's default) or lock mode (`mysql-lock`). */
export const isMysql = (k: StoreKind): k is 'mysql' | 'mysql-lock' => k === 'mysql' || k === 'mysql-lock';

export interface TargetConfig {
  kind: StoreKind;
  /** Server URL as this process should reach it (directly, or through a fault proxy). */
  url?: string;
  /** SQLite database file. */
  file?: string;
  /** Prefix of every table of the run: `<prefix>_outbox`, `_agg`, `_biz`, `_inbox`, `_eff`. */
  prefix: string;
  claimTimeoutMs: number;
}

export type FailpointName = 'claim.after' | 'produce.after-publish' | 'settle.before-commit' | 'inbox.after-effect';
export type FailpointAction = 'kill' | 'throw' | 'stall' | 'pause';

export interface FailpointSpec {
  point: FailpointName;
  action: FailpointAction;
  /** Fires at this hit of the point (1 = the first time the point is reached). */
  hit: number;
  /** How long a stall or pause lasts. */
  ms?: number;
}

/** Where relays publish and consumers read. The file sink needs no server. */
export type SinkConfig =
  | { kind: 'file'; path: string }
  | { kind: 'rabbitmq'; url: string; queue: string }
  | { kind: 'nats'; url: string; stream: string; subject: string }
  | { kind: 'redis'; url: string; stream: string }
  | { kind: 'mqtt'; url: string; topic: string };

export interface RelayConfig {
  name: string;
  target: TargetConfig;
  sink: SinkConfig;
  batchSize: number;
  pollIntervalMs: number;
  produceTimeoutMs: number;
  concurrency: number;
  maxAttempts: number;
  /** First retry delay of a failed message. */
  retryMs: number;
  failpoints: FailpointSpec[];
  /** The relay's clock runs this far ahead (or behind) of the machine's. */
  skewMs: number;
  /** The relay's clock runs at this rate (1 = real time). */
  clockRate: number;
  /** Report memory every second on stdout. */
  reportMemory: boolean;
  /** Heads of some keys fail on purpose (see misbehave.ts). */
  heads?: HeadFaults;
  /** Batches holding a `hostile-<mode>-` key get a hostile answer (see misbehave.ts). */
  hostile?: { lateMs: number };
  /**
   * The first relay to publish the first message (v 1) of a key with this prefix stops itself
   * (SIGSTOP) before acknowledging it: a zombie the harness wakes with SIGCONT. `markers` is a
   * directory where one file per key says some relay already did (so only one stops per key).
   */
  zombie?: { prefix: string; markers: string };
  /** From each of `at` (wall clock) for `forMs`, the application's own transactions hold every connection of the relay's pool (see hog.ts). */
  hog?: { at: number[]; forMs: number };
  /** A broker sink also logs what the broker confirmed here, with the relay's time (file sinks are that log). */
  publishedLog?: string;
}

export interface HeadFaults {
  /** A key with this prefix: its first message (v 1) fails its first `times` attempts (retried with backoff). */
  backoff?: { prefix: string; times: number };
  /** A key with this prefix: its first message is refused permanently (dead at once) until `marker` exists, then fails `times` attempts. */
  dead?: { prefix: string; marker: string; times: number };
}

export interface WriterConfig {
  name: string;
  target: TargetConfig;
  /** Write history, one JSON line per attempt and outcome. */
  history: string;
  connections: number;
  keys: number;
  /** Stop after this many attempted transactions in all, or after `durationMs`. */
  transactions: number;
  durationMs: number;
  rollbackRate: number;
  /** Share of transactions that sleep before commit, and for how long at most. */
  commitDelayRate: number;
  commitDelayMaxMs: number;
  /** Share of messages sent with a delivery delay, and the delay. */
  delayedRate: number;
  delayMs: number;
  /** Share of messages no consumer can ever handle (the sink refuses them). */
  poisonRate: number;
  /** Pause between two transactions of one connection (0: as fast as the database allows). */
  paceMs: number;
  seed: number;
}

export interface ConsumerConfig {
  name: string;
  target: TargetConfig;
  sink: SinkConfig;
  /** Where a file-sink consumer keeps its read offset, written after each commit. */
  checkpoint: string;
  /** Receipts applied per effect transaction. */
  chunk: number;
  failpoints: FailpointSpec[];
  /** Broker consumers record every receipt here (one JSON line each) before handling it. */
  received: string;
  /** Inbox and effects live in this SQLite file when the outbox is not on PostgreSQL. */
  effectsFile: string;
}

/** The one-process PGlite application (solo.ts): its writers and its relay, publishing to a webhook receiver. */
export interface SoloConfig {
  name: string;
  prefix: string;
  keys: number;
  claimTimeoutMs: number;
  history: string;
  publishedLog: string;
  /** Where the end state is written on SIGTERM. */
  dump: string;
  receiverUrl: string;
  secret: string;
  batchSize: number;
  pollIntervalMs: number;
  produceTimeoutMs: number;
  /** The webhook producer's deadline of one POST (under produceTimeoutMs). */
  publishTimeoutMs: number;
  retryMs: number;
  /** Concurrent writer loops (PGlite runs their transactions one at a time). */
  writers: number;
  paceMs: number;
  rollbackRate: number;
  delayedRate: number;
  delayMs: number;
  seed: number;
}

/** How the webhook receiver behaves right now (see receiver.ts). */
export type ReceiverMode = { kind: 'ok' } | { kind: 'slow'; holdMs: number } | { kind: '5xx' };

export interface ReceiverConfig {
  name: string;
  port: number;
  secret: string;
  /** The receiver's inbox and effects: `target.prefix` names the tables, in `effectsFile` (SQLite). */
  target: TargetConfig;
  effectsFile: string;
  received: string;
  modeFile: string;
}

/** One instance of a service with in-process consumers and cron schedules (service.ts). */
export interface ServiceConfig {
  /** Instance name, e.g. `a1.v2`. */
  name: string;
  /** Service name: its outbox and inbox tables are its own, the schedules table is shared. */
  service: string;
  target: TargetConfig;
  consumers: { name: string; topics: string[]; flaky?: boolean }[];
  /** Declared at start (set again by every instance of the version). */
  schedules: { name: string; cron: string; topic: string; key?: string; payload?: unknown }[];
  /** Removed at start: schedules this version dropped. */
  removes: string[];
  pollIntervalMs: number;
  scheduleIntervalMs: number;
  handlerTimeoutMs: number;
}

/** The payload every message of the harness carries. */
export interface WorkPayload {
  id: string;
  key: string;
  v: number;
  poison?: boolean;
}

/** One line of a sink file or of a consumer's receipt log. */
export interface Receipt {
  id: string;
  key: string;
  v: number;
  /** Relay (or consumer) that wrote the line. */
  by: string;
  /** Wall-clock milliseconds when it was published (or received). */
  t: number;
}

export const tables = (prefix: string) => ({
  outbox: `${prefix}_outbox`,
  agg: `${prefix}_agg`,
  biz: `${prefix}_biz`,
  inbox: `${prefix}_inbox`,
  eff: `${prefix}_eff`,
});

export const parseConfig = <T>(): T => JSON.parse(process.argv[2] ?? '{}') as T;
