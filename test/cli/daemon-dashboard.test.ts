/**
 * The daemon serves the dashboard on its HTTP port, beside the probes: fed by its relays' events,
 * reading and redriving its stores, never open, and read-only when configured so (after a reload).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createOutbox } from '../../src/core/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { eventually, uniqueName } from '../support/env.js';
import { get, killDaemons, runCli, startDaemon, type Daemon } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'txbox-daemon-dashboard-'));
const producers = join(import.meta.dirname, 'fixtures', 'producers.mjs');
const TOKEN = `dash-${uniqueName('token')}`;
const env = { TXBOX_DASH_TOKEN: TOKEN, TXBOX_TEST_RECORD: join(dir, 'recording.txt') };
const delivered = () => (existsSync(env.TXBOX_TEST_RECORD) ? readFileSync(env.TXBOX_TEST_RECORD, 'utf8').split('\n').filter(Boolean) : []);

after(() => {
  killDaemons();
  rmSync(dir, { recursive: true, force: true });
});

/** `fetch` to the daemon, with no redirect followed, answering status, headers and body. */
async function request(port: number, path: string, init: RequestInit = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(10_000), ...init });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('the daemon serves the dashboard', { timeout: 180_000 }, () => {
  const file = join(dir, 'shop.db');
  const config = join(dir, 'txbox.config.json');
  const dead: string[] = [];
  let daemon: Daemon;
  let port: number;
  const write = (readOnly: boolean) =>
    writeFileSync(config, JSON.stringify({
      http: { port: 0, host: '127.0.0.1' },
      dashboard: { path: '/ops', auth: { token: '${TXBOX_DASH_TOKEN}' }, readOnly, sampleIntervalMs: 200 },
      outboxes: [{ name: 'shop', store: { url: `sqlite://${file}` }, transport: { type: 'module', path: producers, export: 'recording' }, relay: { pollIntervalMs: 50 } }],
    }));

  before(async () => {
    const db = new Database(file);
    const store = createSqliteStore({ db });
    await store.migrate();
    const outbox = createOutbox({ store });
    const { ids } = store.transaction((tx) => outbox.sendSync(tx, Array.from({ length: 5 }, (_, i) => ({ topic: 'orders', payload: { i } }))));
    // Two dead letters, as a relay leaves them after the last attempt.
    dead.push(ids[0]!, ids[1]!);
    db.prepare(`UPDATE txbox_outbox SET dead_at = ?, attempts = 5, last_error = 'HTTP 410 Gone' WHERE id IN (?, ?)`).run(Date.now(), dead[0], dead[1]);
    db.close();
    write(false);
    daemon = startDaemon(config, env);
    port = await daemon.port();
    await daemon.waitForLog(/listening on .*\/ops\)/);
  });

  it('refuses a request without credentials or with a wrong token; the probes stay open', async () => {
    assert.equal((await request(port, '/ops/')).status, 401);
    assert.equal((await request(port, '/ops/', { headers: bearer(`${TOKEN}-wrong`) })).status, 401);
    const login = await request(port, '/ops/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=not-the-token-at-all' });
    assert.equal(login.status, 401);
    assert.equal(login.headers.get('set-cookie'), null);
    assert.equal((await get(port, '/healthz')).status, 200);
    assert.equal((await get(port, '/metrics')).status, 200);
  });

  it('lists the daemon\'s outbox, its running relay and the deliveries it reports', async () => {
    await eventually(() => delivered().length === 3, 20_000, 'the three live messages to be delivered');
    // The relay's events feed the chart: once one arrived, the page no longer asks for them.
    await eventually(async () => !(await request(port, '/ops/', { headers: bearer(TOKEN) })).body.includes('needs the relay'), 10_000, 'the dashboard to be fed');
    const page = await request(port, '/ops/', { headers: bearer(TOKEN) });
    assert.equal(page.status, 200);
    assert.match(page.body, /href="\/ops\/o\/shop\/messages/);
    assert.match(page.body, /relay running/);
    const deadPage = await request(port, '/ops/o/shop/messages?state=dead', { headers: bearer(TOKEN) });
    for (const id of dead) assert.ok(deadPage.body.includes(id), `dead letter ${id} listed`);
  });

  it('a login with the token sets a session cookie that opens the pages', async () => {
    const login = await request(port, '/ops/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(TOKEN)}` });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal((await request(port, '/ops/', { headers: { cookie } })).status, 200);
  });

  it('redrives the dead letters from the store; the relay then delivers them', async () => {
    const redrive = await request(port, '/ops/o/shop/redrive', { method: 'POST', headers: { ...bearer(TOKEN), 'content-type': 'application/x-www-form-urlencoded', origin: `http://127.0.0.1:${port}` }, body: 'topic=orders' });
    assert.equal(redrive.status, 303, redrive.body);
    await eventually(() => dead.every((id) => delivered().includes(id)), 20_000, 'the redriven dead letters to be delivered');
  });

  it('after a reload to readOnly, redrive is refused', async () => {
    write(true);
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog(/reloaded: running shop/);
    const refused = await request(port, '/ops/o/shop/redrive', { method: 'POST', headers: { ...bearer(TOKEN), 'content-type': 'application/x-www-form-urlencoded', origin: `http://127.0.0.1:${port}` }, body: 'topic=orders' });
    assert.equal(refused.status, 403);
    assert.match(refused.body, /read-only/i);
    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exited, 0, daemon.log());
  });
});

describe('the daemon refuses a bad dashboard section, naming the field', { timeout: 60_000 }, () => {
  it('a short token, an open dashboard, a path over a probe: exit 2', async () => {
    const outboxes = [{ name: 'o', store: { url: join(dir, 'never.db') }, transport: { type: 'module', path: producers, export: 'recording' } }];
    const run = async (dashboard: object) => {
      const file = join(dir, `${uniqueName('bad')}.json`);
      writeFileSync(file, JSON.stringify({ dashboard, outboxes }));
      return runCli(['relay', '--config', file], { TXBOX_SHORT: 'short' });
    };
    const short = await run({ auth: { token: '${TXBOX_SHORT}' } });
    assert.equal(short.code, 2);
    assert.match(short.stderr, /^dashboard\.auth\.token: must be at least 16 characters$/m);
    const open = await run({ auth: {} });
    assert.equal(open.code, 2);
    assert.match(open.stderr, /^dashboard\.auth: give exactly one of token or basic/m);
    const probe = await run({ path: '/metrics', auth: { basic: { user: 'ops', password: 'longenough' } } });
    assert.equal(probe.code, 2);
    assert.match(probe.stderr, /^dashboard\.path: must not be under \/healthz, \/readyz, \/metrics$/m);
  });
});
