import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { createPostgresInbox } from '../../src/stores/postgres/index.js';
import { createSqliteInbox } from '../../src/stores/sqlite/index.js';
import type { Interval } from '../liveness.js';
import type { FaultRecord } from '../timing.js';
import type { ConsumerConfig, FailpointSpec, RelayConfig, SinkConfig, StoreKind, TargetConfig, WriterConfig } from '../processes/config.js';
import { isMysql, tables } from '../processes/config.js';
import { startChild, type ChildEvent, type ChildHandle } from '../processes/handle.js';
import { effectsFile, openMysqlPool, openPgPool, openSqlite, openStore, type AnyStore } from '../processes/targets.js';
import { uniqueName, waitAtMost } from '../util.js';
import { readObservations } from './observe.js';
import { prepareSink } from './sink-setup.js';
import { createMysqlTables, createPgTables, createSqliteTables, dropMysqlTables, dropPgTables } from './schema.js';
import type { Observations } from '../checker.js';

/** A database server the world can reach: the harness's own PostgreSQL or MariaDB. */
export interface ServerLike {
  url(port?: number): string;
}

export interface WorldOptions {
  label: string;
  kind: StoreKind;
  server?: ServerLike;
  /** The scenario's own temp directory. */
  dir: string;
  keys: number;
  claimTimeoutMs: number;
  /** Default: a file sink in `dir`. A function gets the world's unique prefix, to name queues and streams. */
  sink?: SinkConfig | ((prefix: string) => SinkConfig);
  /** Relays reach the database through this port (a fault proxy) instead of the server's. */
  relayPort?: number;
  /** Consumers reach a broker sink through this port (a fault proxy) instead of the broker's. */
  consumerPort?: number;
}

export type RelayOverrides = Partial<Omit<RelayConfig, 'target' | 'sink'>> & { port?: number };
export type WriterOverrides = Partial<Omit<WriterConfig, 'target' | 'history' | 'name'>>;

/**
 * One run of the workload: the tables, the child processes (writers, relays, a consumer), the
 * faults injected, and what was observed at the end. Everything it starts, it stops.
 */
export class World {
  readonly prefix = uniqueName('f');
  readonly createdAt = Date.now();
  readonly faults: FaultRecord[] = [];
  readonly relays: ChildHandle[] = [];
  readonly writers: ChildHandle[] = [];
  /** What each relay was started with: the stall bound is derived from it. */
  readonly relayConfigs: RelayConfig[] = [];
  /** Times nothing could be delivered whatever the relays did (a scenario's own outages, beyond `faults`). */
  readonly outages: Interval[] = [];
  consumer: ChildHandle | undefined;
  handmade = new Set<string>();
  readonly sink: SinkConfig;
  readonly #histories: string[] = [];
  readonly #children: ChildHandle[] = [];
  #pool: pg.Pool | undefined;
  #mysql: mysql.Pool | undefined;
  #db: Database.Database | undefined;
  #effects: Database.Database | undefined;
  #relaySeq = 0;
  #consumerSeq = 0;

  constructor(readonly o: WorldOptions) {
    mkdirSync(o.dir, { recursive: true });
    this.sink = typeof o.sink === 'function' ? o.sink(this.prefix) : (o.sink ?? { kind: 'file', path: join(o.dir, `${this.prefix}.sink`) });
  }

  get kind(): StoreKind {
    return this.o.kind;
  }

  get claimTimeoutMs(): number {
    return this.o.claimTimeoutMs;
  }

  target(port?: number): TargetConfig {
    const base = { kind: this.o.kind, prefix: this.prefix, claimTimeoutMs: this.o.claimTimeoutMs };
    if (this.o.kind === 'sqlite') return { ...base, file: join(this.o.dir, `${this.prefix}.db`) };
    return { ...base, url: this.o.server!.url(port) };
  }

  /** The harness's own connection (direct, never through a proxy). */
  get pool(): pg.Pool {
    return (this.#pool ??= openPgPool(this.target(), 4));
  }

  get sqlite(): Database.Database {
    return (this.#db ??= openSqlite(this.target().file!));
  }

  get mysql(): mysql.Pool {
    return (this.#mysql ??= openMysqlPool(this.target(), 4));
  }

  async setup(): Promise<void> {
    if (this.sink.kind !== 'file') await prepareSink(this.sink);
    const t = this.target();
    const { keys } = this.o;
    if (this.kind === 'sqlite') {
      this.#effects = openSqlite(effectsFile(t));
      createSqliteTables(this.sqlite, this.#effects, this.prefix, keys);
      await (await openStore(t, this.sqlite)).migrate();
      await createSqliteInbox({ db: this.#effects, table: tables(this.prefix).inbox }).migrate();
    } else if (isMysql(this.kind)) {
      await createMysqlTables(this.mysql, this.prefix, keys);
      await (await openStore(t, this.mysql)).migrate();
      this.#effects = openSqlite(effectsFile({ ...t, file: join(this.o.dir, `${this.prefix}.db`) }));
      this.#effects.exec(`CREATE TABLE "${tables(this.prefix).eff}" (id TEXT PRIMARY KEY, key TEXT NOT NULL, v INTEGER NOT NULL, n INTEGER NOT NULL);`);
      await createSqliteInbox({ db: this.#effects, table: tables(this.prefix).inbox }).migrate();
    } else {
      await createPgTables(this.pool, this.prefix, keys);
      await (await openStore(t, this.pool)).migrate();
      await createPostgresInbox({ pool: this.pool, table: tables(this.prefix).inbox }).migrate();
    }
  }

  startWriters(count: number, w: WriterOverrides): ChildHandle[] {
    const started: ChildHandle[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${this.o.label}-w${this.writers.length}`;
      const history = join(this.o.dir, `${this.prefix}.${name}.history`);
      this.#histories.push(history);
      const cfg: WriterConfig = {
        name,
        target: this.target(),
        history,
        connections: 4,
        keys: this.o.keys,
        transactions: 1000,
        durationMs: 60_000,
        rollbackRate: 0.1,
        commitDelayRate: 0,
        commitDelayMaxMs: 0,
        delayedRate: 0,
        delayMs: 0,
        poisonRate: 0,
        paceMs: 0,
        seed: Math.floor(Math.random() * 2 ** 31),
        ...w,
      };
      const h = this.#track(startChild('writer', name, cfg));
      this.writers.push(h);
      started.push(h);
    }
    return started;
  }

  startRelay(r: RelayOverrides = {}, onEvent?: (e: ChildEvent, h: ChildHandle) => void): ChildHandle {
    const { port, ...rest } = r;
    const name = rest.name ?? `${this.o.label}-r${this.#relaySeq++}`;
    const cfg: RelayConfig = {
      name,
      target: this.target(port ?? this.o.relayPort),
      sink: this.sink,
      batchSize: 50,
      pollIntervalMs: 100,
      produceTimeoutMs: Math.floor(this.o.claimTimeoutMs / 2),
      concurrency: 1,
      maxAttempts: 1_000_000,
      retryMs: 100,
      failpoints: [],
      skewMs: 0,
      clockRate: 1,
      reportMemory: false,
      ...(this.sink.kind === 'file' ? {} : { publishedLog: this.publishedLog }),
      ...rest,
    };
    this.relayConfigs.push(cfg);
    const h = this.#track(startChild('relay', name, cfg, onEvent));
    this.relays.push(h);
    return h;
  }

  /** How many consumer processes were started (restarts included). */
  get consumerStarts(): number {
    return this.#consumerSeq;
  }

  startConsumer(failpoints: FailpointSpec[] = [], onEvent?: (e: ChildEvent, h: ChildHandle) => void, chunk = 20): ChildHandle {
    const name = `${this.o.label}-c${this.#consumerSeq++}`;
    const t = this.target();
    const cfg: ConsumerConfig = {
      name,
      target: t,
      sink: this.o.consumerPort === undefined || this.sink.kind === 'file' ? this.sink : { ...this.sink, url: this.sink.url.replace(/:\d+$/, `:${this.o.consumerPort}`) },
      checkpoint: join(this.o.dir, `${this.prefix}.checkpoint`),
      chunk,
      failpoints,
      received: join(this.o.dir, `${this.prefix}.received`),
      effectsFile: effectsFile({ ...t, file: join(this.o.dir, `${this.prefix}.db`) }),
    };
    this.consumer = this.#track(startChild('consumer', name, cfg, onEvent));
    return this.consumer;
  }

  async waitWriters(timeoutMs: number): Promise<void> {
    await waitAtMost(() => this.writers.every((w) => !w.running), timeoutMs, 50);
    for (const w of this.writers) await w.stop(5000);
  }

  /** Ids of outbox rows neither delivered nor dead. */
  async pendingIds(): Promise<string[]> {
    const outbox = tables(this.prefix).outbox;
    const where = 'processed_at IS NULL AND dead_at IS NULL';
    if (this.kind === 'sqlite') return (this.sqlite.prepare(`SELECT id FROM "${outbox}" WHERE ${where}`).all() as { id: string }[]).map((r) => r.id);
    if (isMysql(this.kind)) {
      const [rows] = await this.mysql.query(`SELECT id FROM \`${outbox}\` WHERE ${where}`);
      return (rows as { id: string }[]).map((r) => r.id);
    }
    return (await this.pool.query(`SELECT id::text AS id FROM "${outbox}" WHERE ${where}`)).rows.map((r: { id: string }) => r.id);
  }

  /**
   * True when the consumer has applied everything the sink holds. A broker gives no total, so
   * there the consumer has caught up once it received and applied every committed message.
   */
  async consumerCaughtUp(): Promise<boolean> {
    if (!this.consumer) return true;
    if (this.sink.kind === 'file') {
      const size = existsSync(this.sink.path) ? statSync(this.sink.path).size : 0;
      return size === 0 || Number(this.consumer.lastProgress?.offset ?? -1) === size;
    }
    const o = await this.observe();
    const expected = o.committed.filter((c) => !c.poison).length;
    return new Set(o.deliveries.map((d) => d.id)).size >= expected && (o.effects?.size ?? 0) >= expected;
  }

  /**
   * Waits (at most `timeoutMs`) until no message is pending and the consumer caught up. Resolves
   * false when time ran out: what is still pending is then counted as stuck.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const waiting = async () => (await this.pendingIds().catch(() => ['?'])).filter((id) => !this.handmade.has(id)).length;
    // Pending first: relays append to the sink before they acknowledge, so once nothing is
    // pending the sink holds every delivery, and the consumer can be compared with it.
    const done = async () => (await waiting()) === 0 && (await this.consumerCaughtUp());
    if (await waitAtMost(done, timeoutMs, 100)) return true;
    // A slow consumer still working through a broker's backlog is not a loss: wait on while it
    // makes progress (a receipt in the last 5 s), up to 4 times the timeout in all.
    const cap = Date.now() + 3 * timeoutMs;
    const busy = () => Date.now() - (this.consumer?.lastProgress?.at ?? 0) < 5000;
    while (busy() && Date.now() < cap) {
      if (await waitAtMost(done, 5000, 100)) return true;
    }
    return done();
  }

  /** Where relays publishing to a broker log what the broker confirmed. */
  get publishedLog(): string {
    return join(this.o.dir, `${this.prefix}.published`);
  }

  /** A history file written by the scenario itself (rows it committed outside the writers). */
  addHistory(path: string): void {
    this.#histories.push(path);
  }

  hasHistory(path: string): boolean {
    return this.#histories.includes(path);
  }

  /** The run's outbox store over the harness's own connection (for requeueing dead letters). */
  async store(): Promise<AnyStore> {
    return openStore(this.target(), this.kind === 'sqlite' ? this.sqlite : isMysql(this.kind) ? this.mysql : this.pool);
  }

  async observe(): Promise<Observations> {
    return readObservations(this, this.#histories, this.#effects);
  }

  #track(h: ChildHandle): ChildHandle {
    this.#children.push(h);
    return h;
  }

  /**
   * Restarts the consumer whenever it exits (a broker consumer exits when its connection is lost),
   * as a process supervisor would. Returns the function that stops supervising.
   */
  superviseConsumer(): () => void {
    let restarting = false;
    const timer = setInterval(() => {
      if (restarting || this.consumer?.running) return;
      restarting = true;
      this.startConsumer();
      setTimeout(() => (restarting = false), 500);
    }, 200);
    return () => clearInterval(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.stop(10_000)));
  }

  async teardown(keepFiles = false): Promise<void> {
    await this.stopAll();
    try {
      if (this.#pool) {
        if (!keepFiles) await dropPgTables(this.#pool, this.prefix).catch(() => {});
        await this.#pool.end();
      }
      if (this.#mysql) {
        if (!keepFiles) await dropMysqlTables(this.#mysql, this.prefix).catch(() => {});
        await this.#mysql.end();
      }
    } finally {
      this.#db?.close();
      this.#effects?.close();
      if (!keepFiles) rmSync(this.o.dir, { recursive: true, force: true });
    }
  }
}
