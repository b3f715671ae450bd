/**
 * Makes the dashboard screenshots of docs/dashboard.md: two SQLite outboxes with a minute of
 * traffic, a few poisoned messages and a failing key, shown in headless Chromium: the overview,
 * and (second path) the failing key's head with its attempt history.
 *   node --import tsx test/dashboard/screenshot.ts docs/images/dashboard.png docs/images/dashboard-message.png
 */
import Database from 'better-sqlite3';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOutbox, createRelay, parsePayload, PermanentFailure, type Relay } from '../../src/core/index.js';
import { createSqliteStore, type SqliteStore } from '../../src/stores/sqlite/index.js';
import { createRecordingProducer } from '../../src/testing/index.js';
import { createDashboard } from '../../packages/dashboard/src/index.js';
import { sleep } from '../support/env.js';
import { openBrowser } from './browser.js';
import { TOKEN } from './env.js';

const out = process.argv[2] ?? join(tmpdir(), 'dashboard.png');
const messageOut = process.argv[3];
const seconds = Number(process.env.SECONDS_OF_TRAFFIC ?? 60);
const dir = mkdtempSync(join(tmpdir(), 'txbox-shot-'));

const stores: SqliteStore[] = ['orders', 'payments'].map((name) => {
  const db = new Database(join(dir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  return createSqliteStore({ db, name });
});
for (const s of stores) await s.migrate();
const dashboard = createDashboard({ outboxes: stores.map((store) => ({ name: store.key.name, store })), auth: { token: TOKEN }, sampleIntervalMs: 1000 });
const producer = createRecordingProducer({
  failWhen: (m) => {
    const p = parsePayload(m) as { poison?: boolean; flaky?: boolean };
    if (p.poison) return new PermanentFailure('422 from billing: unknown field "currency_v2"');
    if (p.flaky) return new Error('connect ECONNREFUSED broker-2.internal:5672');
    return undefined;
  },
});
const relays: Relay[] = stores.map((store) => createRelay({ store, producer, pollIntervalMs: 100, retry: { initialMs: 2000, maxMs: 10_000 }, onEvent: dashboard.onEvent }));
relays.forEach((r) => r.start());
dashboard.start();
const server = createServer((req, res) => dashboard.node(req, res));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

for (let s = 0; s < seconds; s++) {
  for (const [i, store] of stores.entries()) {
    const outbox = createOutbox({ store });
    const rate = Math.round((i === 0 ? 60 : 25) * (1.2 + Math.sin(s / 9)));
    const batch = Array.from({ length: rate }, (_, n) => ({ topic: i === 0 ? 'order.placed' : 'payment.captured', key: `k-${n % 40}`, payload: { s, n } }));
    if (s % 17 === 5) batch.push({ topic: i === 0 ? 'order.placed' : 'payment.captured', key: `k-${s}`, payload: { s, n: -1, poison: true } } as never);
    if (s === 20 && i === 0) batch.push({ topic: 'order.placed', key: 'order-42', payload: { flaky: true } } as never, { topic: 'order.placed', key: 'order-42', payload: { s } } as never);
    if (batch.length > 0) store.transaction((tx) => outbox.sendSync(tx, batch));
  }
  await sleep(1000);
}

const b = await openBrowser();
await b.page.goto(`${url}/`);
await b.page.fill('input[name=token]', TOKEN);
await Promise.all([b.page.waitForNavigation(), b.page.click('button[type=submit]')]);
await b.page.waitForSelector('.chart-canvas canvas');
await b.page.screenshot({ path: out, fullPage: true });
console.log(`wrote ${out}`);
if (messageOut) {
  const [head] = (await stores[0]!.query!.list({ key: 'order-42', limit: 1 })).messages;
  await b.page.goto(`${url}/o/orders/messages/${head!.id}`);
  await b.page.waitForSelector('table.history');
  await b.page.screenshot({ path: messageOut, fullPage: true });
  console.log(`wrote ${messageOut}`);
}
await b.close();
await Promise.all(relays.map((r) => r.stop()));
await dashboard.close();
server.close();
