import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createSqliteInbox } from '../../src/stores/sqlite/index.js';
import type { Committed, HistoryEntry, Observations } from '../checker.js';
import type { Interval } from '../liveness.js';
import { tables, type Receipt, type ReceiverConfig, type ReceiverMode, type SoloConfig, type StoreKind } from '../processes/config.js';
import { startChild, type ChildHandle } from '../processes/handle.js';
import { openSqlite } from '../processes/targets.js';
import type { Summarized } from '../scenarios/common.js';
import { freePort } from '../servers/ports.js';
import type { FaultRecord } from '../timing.js';
import { uniqueName, waitAtMost } from '../util.js';

const lines = <T>(path: string): T[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as T) : []);

export type SoloOverrides = Partial<Omit<SoloConfig, 'name' | 'prefix' | 'history' | 'publishedLog' | 'dump' | 'receiverUrl' | 'secret'>>;

interface Dump {
  committed: { id: string; key: string; version: number; delay_ms: number; sent_at_ms: string | number; poison: boolean }[];
  pending: string[];
  dead: { id: string; at: number }[];
}

/**
 * The world of an application that embeds its database (PGlite): ONE process holds the database,
 * the writers and the relay (solo.ts), so the harness reads the end state from the dump it writes
 * when it stops. The relay's destination is a webhook receiver process (receiver.ts) with an inbox
 * of its own, whose behaviour the scenario switches (slow, 5xx) or which it kills and restarts.
 */
export class SoloWorld implements Summarized {
  readonly kind: StoreKind = 'pglite';
  readonly prefix = uniqueName('f');
  readonly createdAt = Date.now();
  readonly faults: FaultRecord[] = [];
  readonly relays: ChildHandle[] = [];
  readonly relayConfigs: SoloConfig[] = [];
  readonly outages: Interval[] = [];
  receiver: ChildHandle | undefined;
  readonly #secret = `whsec_${randomBytes(32).toString('base64')}`;
  readonly #children: ChildHandle[] = [];
  #effects: Database.Database | undefined;
  #port = 0;
  #receivers = 0;

  constructor(readonly o: { label: string; dir: string; keys: number; claimTimeoutMs: number }) {
    mkdirSync(o.dir, { recursive: true });
  }

  get claimTimeoutMs(): number {
    return this.o.claimTimeoutMs;
  }

  #path(what: string): string {
    return join(this.o.dir, `${this.prefix}.${what}`);
  }

  get receiverStarts(): number {
    return this.#receivers;
  }

  async setup(): Promise<void> {
    this.#port = await freePort();
    this.#effects = openSqlite(this.#path('effects'));
    const t = tables(this.prefix);
    this.#effects.exec(`CREATE TABLE "${t.eff}" (id TEXT PRIMARY KEY, key TEXT NOT NULL, v INTEGER NOT NULL, n INTEGER NOT NULL);`);
    await createSqliteInbox({ db: this.#effects, table: t.inbox }).migrate();
    this.setMode({ kind: 'ok' });
  }

  /** Switches the receiver's behaviour (read on its next request). */
  setMode(mode: ReceiverMode): void {
    writeFileSync(`${this.#path('mode')}.tmp`, JSON.stringify(mode));
    // A rename, so the receiver never reads half a file.
    renameSync(`${this.#path('mode')}.tmp`, this.#path('mode'));
  }

  startReceiver(): ChildHandle {
    const name = `${this.o.label}-recv${this.#receivers++}`;
    const cfg: ReceiverConfig = {
      name,
      port: this.#port,
      secret: this.#secret,
      target: { kind: 'pglite', prefix: this.prefix, claimTimeoutMs: this.o.claimTimeoutMs },
      effectsFile: this.#path('effects'),
      received: this.#path('received'),
      modeFile: this.#path('mode'),
    };
    this.receiver = this.#track(startChild('receiver', name, cfg));
    return this.receiver;
  }

  startSolo(o: SoloOverrides = {}): ChildHandle {
    const name = `${this.o.label}-app${this.relays.length}`;
    const cfg: SoloConfig = {
      name,
      prefix: this.prefix,
      keys: this.o.keys,
      claimTimeoutMs: this.o.claimTimeoutMs,
      history: this.#path('history'),
      publishedLog: this.#path('published'),
      dump: this.#path('dump'),
      receiverUrl: `http://127.0.0.1:${this.#port}/hook`,
      secret: this.#secret,
      batchSize: 50,
      pollIntervalMs: 100,
      produceTimeoutMs: Math.floor(this.o.claimTimeoutMs / 2),
      publishTimeoutMs: Math.floor(this.o.claimTimeoutMs / 2) - 200,
      retryMs: 100,
      writers: 4,
      paceMs: 20,
      rollbackRate: 0.1,
      delayedRate: 0.05,
      delayMs: 500,
      seed: Math.floor(Math.random() * 2 ** 31),
      ...o,
    };
    this.relayConfigs.push(cfg);
    const h = this.#track(startChild('solo', name, cfg));
    this.relays.push(h);
    return h;
  }

  /** The application's latest count of pending messages (it reports every 250 ms). */
  #pending(): number | undefined {
    const app = this.relays[this.relays.length - 1];
    const last = app?.events.findLast((e) => e.ev === 'outbox' && typeof e.pending === 'number');
    return last === undefined ? undefined : Number(last.pending);
  }

  /**
   * Stops the writers, waits (at most `timeoutMs`) until nothing is pending and the receiver
   * applied every message it got, then stops the application (which writes its dump).
   */
  async finish(timeoutMs: number): Promise<string[]> {
    const app = this.relays[this.relays.length - 1]!;
    app.kill('SIGUSR1');
    await app.waitFor((e) => e.ev === 'writers.done', 30_000);
    const since = Date.now();
    const drained = await waitAtMost(() => {
      const report = app.events.findLast((e) => e.ev === 'outbox');
      return report !== undefined && report.at > since + 300 && this.#pending() === 0;
    }, timeoutMs, 100);
    await app.stop(20_000);
    await this.receiver?.stop(10_000);
    return drained ? [] : [`the backlog did not drain within ${timeoutMs} ms`];
  }

  async observe(): Promise<Observations> {
    const dump = existsSync(this.#path('dump')) ? (JSON.parse(readFileSync(this.#path('dump'), 'utf8')) as Dump) : { committed: [], pending: ['?'], dead: [] };
    const committed: Committed[] = dump.committed.map((r) => ({ id: r.id, key: r.key, version: Number(r.version), delayMs: Number(r.delay_ms), sentAtMs: Number(r.sent_at_ms), poison: r.poison }));
    const eff = this.#effects!.prepare(`SELECT id, n FROM "${tables(this.prefix).eff}"`).all() as { id: string; n: number }[];
    return {
      committed,
      history: lines<HistoryEntry>(this.#path('history')),
      deliveries: lines<Receipt>(this.#path('received')),
      published: lines<Receipt>(this.#path('published')),
      effects: new Map(eff.map((r) => [r.id, Number(r.n)])),
      pending: dump.pending,
      dead: dump.dead.map((d) => d.id),
      deadAt: new Map(dump.dead.map((d) => [d.id, Number(d.at)])),
    };
  }

  #track(h: ChildHandle): ChildHandle {
    this.#children.push(h);
    return h;
  }

  async teardown(keepFiles = false): Promise<void> {
    await Promise.all(this.#children.map((c) => c.stop(10_000)));
    this.#effects?.close();
    if (!keepFiles) rmSync(this.o.dir, { recursive: true, force: true });
  }
}
