import Database from 'better-sqlite3';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createOutbox, createRelay, parsePayload, PermanentFailure, type OutboxStore, type Relay } from '../../src/core/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { createRecordingProducer, type RecordingProducer } from '../../src/testing/index.js';
import { createDashboard, type Dashboard, type DashboardOptions } from '../../packages/dashboard/src/index.js';
import { PG_URL, uniqueName } from '../support/env.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const POISON_ERROR = 'downstream refused: schema v2 unknown';

/** A store of each kind the browser test runs on, with a way to write through it. */
export interface StoreSetup {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly store: OutboxStore<any>;
  send(messages: Parameters<ReturnType<typeof createOutbox>['send']>[1]): Promise<string[]>;
  close(): Promise<void>;
}

export async function sqliteSetup(): Promise<StoreSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'txbox-dash-sqlite-'));
  const db = new Database(join(dir, 'outbox.db'));
  db.pragma('journal_mode = WAL');
  const store = createSqliteStore({ db });
  await store.migrate();
  const outbox = createOutbox({ store });
  return {
    name: 'sqlite',
    store,
    send: async (messages) => [...store.transaction((tx) => outbox.sendSync(tx, messages)).ids],
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresSetup(): Promise<StoreSetup> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  const table = uniqueName('dash_outbox');
  const store = createPostgresStore({ pool, table });
  await store.migrate();
  const outbox = createOutbox({ store });
  return {
    name: 'postgres',
    store,
    send: async (messages) => [...(await store.transaction((tx) => outbox.send(tx, messages))).ids],
    async close() {
      await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.end();
    },
  };
}

/**
 * A running relay whose producer refuses "poison" messages permanently until `cure()`, a
 * dashboard over the store, and a node:http server for it on loopback.
 */
export interface Running {
  readonly producer: RecordingProducer;
  readonly relay: Relay;
  readonly dashboard: Dashboard;
  readonly url: string;
  readonly server: Server;
  cure(): void;
  close(): Promise<void>;
}

export async function runDashboard(setup: StoreSetup, options: Partial<DashboardOptions> = {}): Promise<Running> {
  let cured = false;
  const producer = createRecordingProducer({
    failWhen: (m) => (!cured && (parsePayload(m) as { poison?: boolean })?.poison ? new PermanentFailure(POISON_ERROR) : undefined),
  });
  const dashboard = createDashboard({ outboxes: [{ name: 'orders', store: setup.store }], auth: { token: TOKEN }, basePath: '/txbox', sampleIntervalMs: 200, ...options });
  const relay = createRelay({ store: setup.store, producer, pollIntervalMs: 50, onEvent: dashboard.onEvent });
  relay.start();
  dashboard.start();
  const server = createServer((req, res) => dashboard.node(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    producer,
    relay,
    dashboard,
    server,
    url: `http://127.0.0.1:${port}/txbox`,
    cure: () => (cured = true),
    async close() {
      await relay.stop();
      await dashboard.close();
      await closeServer(server);
    },
  };
}

/** Serves one page at `/` on another port: a page of another site, for the CSRF cases. */
export async function serveOnePage(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => closeServer(server) };
}

/** Closes a server now: a browser keeps connections open (some it opened ahead, with no request yet). */
function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
  return closed;
}
