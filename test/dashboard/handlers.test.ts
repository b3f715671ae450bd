import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createDashboard } from '../../packages/dashboard/src/index.js';
import { createMemoryStore } from '../../src/testing/index.js';
import { createOutbox } from '../../src/core/index.js';

const TOKEN = 'handler-token-0123456789';

describe('dashboard handlers', () => {
  const store = createMemoryStore({ name: 'mem' });
  const dashboard = createDashboard({ outboxes: [{ name: 'mem', store }], auth: { token: TOKEN }, basePath: '/ops' });

  it('answers Fetch-style requests under its base path, and null elsewhere', async () => {
    const get = (path: string, headers: Record<string, string> = {}) => dashboard.fetch(new Request(`http://app.test${path}`, { headers }));
    assert.equal(await get('/other'), null);
    assert.equal((await get('/ops/'))!.status, 401);
    const page = (await get('/ops/', { authorization: `Bearer ${TOKEN}` }))!;
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.match(await page.text(), /id="outbox-mem"/);
    const uplot = (await get('/ops/assets/uPlot.iife.min.js'))!;
    assert.equal(uplot.status, 200);
    assert.match(await uplot.text(), /^\/\*! https:\/\/github.com\/leeoniya\/uPlot/, 'uPlot is served from the installed package');
    assert.equal((await get('/ops/assets/%2e%2e%2fpackage.json'))!.status, 404, 'only the named assets are served');
    await dashboard.close();
  });

  it('is Express-style middleware: what is not under its base path goes to next()', async () => {
    let passed = 0;
    const server = createServer((req, res) =>
      dashboard.node(req, res, () => {
        passed++;
        res.writeHead(204).end();
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal((await fetch(`${base}/elsewhere`)).status, 204);
      assert.equal((await fetch(`${base}/ops/o/mem/messages`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
      assert.equal((await fetch(`${base}/ops/o/mem/messages?cursor=x`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 400, 'a bad cursor is the request\'s fault');
      assert.equal(passed, 1);
    } finally {
      server.close();
      await dashboard.close();
    }
  });

  it('shows a message\'s failed attempts, newest first, and redrives at the end of its key when the form asks', async () => {
    const mem = createMemoryStore({ name: 'keys' });
    const dash = createDashboard({ outboxes: [{ name: 'keys', store: mem }], auth: { token: TOKEN }, basePath: '/ops' });
    const outbox = createOutbox({ store: mem });
    const { ids: [head] } = await mem.transaction((tx) => outbox.send(tx, { topic: 't', key: 'K', payload: 'head' }));
    for (const [attempt, dead] of [[1, false], [2, true]] as const) {
      const batch = (await mem.claim({ limit: 10 }))!;
      await mem.settle(batch, { delivered: [], released: [], failed: [{ id: head!, error: `refused <try ${attempt}>`, retryInMs: 0, dead }], relay: `worker-${attempt}:77` });
    }
    const { ids: [later] } = await mem.transaction((tx) => outbox.send(tx, { topic: 't', key: 'K', payload: 'later' }));
    const auth = { authorization: `Bearer ${TOKEN}` };
    const page = await (await dash.fetch(new Request(`http://app.test/ops/o/keys/messages/${head}`, { headers: auth })))!.text();
    const history = page.slice(page.indexOf('Failed attempts'));
    assert.match(history, /the last 2, newest first/);
    assert.ok(history.indexOf('refused &lt;try 2&gt;') < history.indexOf('refused &lt;try 1&gt;'), 'newest first, escaped');
    assert.ok(history.includes('worker-2:77') && history.includes('worker-1:77'), 'with the relay of each attempt');
    const dead = await (await dash.fetch(new Request('http://app.test/ops/o/keys/messages?state=dead', { headers: auth })))!.text();
    assert.match(dead, /<option value="end">at the end/);
    const redrive = await dash.fetch(new Request('http://app.test/ops/o/keys/redrive', { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'key=K&position=end' }));
    assert.equal(redrive!.status, 303);
    const batch = (await mem.claim({ limit: 10 }))!;
    assert.deepEqual(batch.messages.map((m) => m.id), [later, head], 'behind the key\'s pending message');
    await dash.close();
  });

  it('refuses options that would leave it open or broken', () => {
    assert.throws(() => createDashboard({ outboxes: [{ name: 'mem', store }], auth: {} as never }), { code: 'INVALID_OPTION', field: 'auth' });
    assert.throws(() => createDashboard({ outboxes: [{ name: 'mem', store }], auth: { token: 'short' } }), { code: 'INVALID_OPTION', field: 'auth.token' });
    assert.throws(() => createDashboard({ outboxes: [], auth: { token: TOKEN } }), { code: 'INVALID_OPTION', field: 'outboxes' });
    assert.throws(() => createDashboard({ outboxes: [{ name: 'mem', store }], auth: { token: TOKEN }, basePath: 'ops' }), { code: 'INVALID_OPTION', field: 'basePath' });
  });
});
