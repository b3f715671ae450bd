import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createDashboard } from '../../packages/dashboard/src/index.js';
import { createMemoryStore } from '../../src/testing/index.js';

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

  it('refuses options that would leave it open or broken', () => {
    assert.throws(() => createDashboard({ outboxes: [{ name: 'mem', store }], auth: {} as never }), { code: 'INVALID_OPTION', field: 'auth' });
    assert.throws(() => createDashboard({ outboxes: [{ name: 'mem', store }], auth: { token: 'short' } }), { code: 'INVALID_OPTION', field: 'auth.token' });
    assert.throws(() => createDashboard({ outboxes: [], auth: { token: TOKEN } }), { code: 'INVALID_OPTION', field: 'outboxes' });
    assert.throws(() => createDashboard({ outboxes: [{ name: 'mem', store }], auth: { token: TOKEN }, basePath: 'ops' }), { code: 'INVALID_OPTION', field: 'basePath' });
  });
});
