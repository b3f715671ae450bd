import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Hono } from 'hono';
import { createDashboard, type Dashboard } from '../../packages/dashboard/src/index.js';
import { createMemoryStore, type MemoryStore } from '../../src/testing/index.js';
import { createOutbox } from '../../src/core/index.js';

const TOKEN = 'mounting-token-0123456789';
const BASE = '/txbox';

/**
 * Each mounting is the snippet docs/dashboard.md shows (the last case checks that the page's
 * snippets are these lines); the test then starts the app on a free port. Apps that route
 * themselves also answer `/hello`, to show that what is not the dashboard's reaches them.
 */
const MOUNTINGS: Record<string, (dashboard: Dashboard) => Promise<{ origin: string; close(): Promise<void>; routesOthers: boolean }>> = {
  async 'node:http'(dashboard) {
    const server = http.createServer((req, res) => dashboard.node(req, res));
    return listen(server.listen(0, '127.0.0.1'), false);
  },
  async 'Express 5'(dashboard) {
    const app = express();
    app.use(express.urlencoded({ extended: false })); // your own body parser, if any: the dashboard reads req.body
    app.use(dashboard.node); // what is not under basePath goes on to next()
    app.get('/hello', (_req, res) => void res.send('the app'));
    return listen(app.listen(0, '127.0.0.1'), true);
  },
  async 'Fastify 5'(dashboard) {
    const app = Fastify();
    await app.register(async (scope) => {
      // Fastify parses no form bodies by itself (it answers 415): in this scope they are kept as text for the dashboard.
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
      const handler = (req: FastifyRequest, reply: FastifyReply) => {
        reply.hijack(); // the dashboard writes the response itself
        dashboard.node(Object.assign(req.raw, { body: req.body }), reply.raw);
      };
      scope.all('/txbox', handler);
      scope.all('/txbox/*', handler);
    });
    app.get('/hello', async () => 'the app');
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close(), routesOthers: true };
  },
  async 'Hono 4'(dashboard) {
    const app = new Hono();
    app.all('/txbox', async (c) => (await dashboard.fetch(c.req.raw)) ?? c.notFound());
    app.all('/txbox/*', async (c) => (await dashboard.fetch(c.req.raw)) ?? c.notFound());
    app.get('/hello', (c) => c.text('the app'));
    return listen(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server, true);
  },
};

async function listen(server: Server, routesOthers: boolean) {
  if (!server.listening) await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    routesOthers,
  };
}

/** Two dead letters in a memory store. */
async function deadLetters(store: MemoryStore): Promise<string[]> {
  const outbox = createOutbox({ store });
  const { ids } = await store.transaction((tx) => outbox.send(tx, [{ topic: 'orders', payload: 1 }, { topic: 'orders', payload: 2 }]));
  const batch = (await store.claim({ limit: 10 }))!;
  await store.settle(batch, { delivered: [], released: [], failed: ids.map((id) => ({ id, error: 'HTTP 410 Gone', retryInMs: 0, dead: true })) });
  return [...ids];
}

for (const [name, mount] of Object.entries(MOUNTINGS)) {
  describe(`dashboard mounted in ${name} under ${BASE}`, () => {
    const store = createMemoryStore({ name: 'shop' });
    const dashboard = createDashboard({ outboxes: [{ name: 'shop', store }], auth: { token: TOKEN }, basePath: BASE });
    let app: Awaited<ReturnType<(typeof MOUNTINGS)[string]>>;
    after(async () => {
      await dashboard.close();
      await app?.close();
    });

    it('serves its pages under the base path and leaves the rest to the app', async () => {
      app = await mount(dashboard);
      const other = await fetch(`${app.origin}/hello`);
      if (app.routesOthers) assert.equal(await other.text(), 'the app');
      else assert.equal(other.status, 404, 'a bare node:http server has nothing else to answer');
      assert.equal((await fetch(`${app.origin}${BASE}/`, { redirect: 'manual' })).status, 401, 'no credentials');
      const page = await fetch(`${app.origin}${BASE}/`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.match(await page.text(), /id="outbox-shop"/);
      const asset = await fetch(`${app.origin}${BASE}/assets/dashboard.css`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(asset.status, 200);
    });

    it('signs in with a form, redrives with the session\'s CSRF token, and refuses the same POST from another site', async () => {
      const [redriven, kept] = await deadLetters(store);
      const login = await fetch(`${app.origin}${BASE}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token: TOKEN }), headers: { origin: app.origin } });
      assert.equal(login.status, 303);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const dead = await fetch(`${app.origin}${BASE}/o/shop/messages?state=dead`, { headers: { cookie } });
      assert.equal(dead.status, 200);
      const html = await dead.text();
      assert.ok(html.includes(redriven!) && html.includes(kept!), 'both dead letters are listed');
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
      const post = (id: string, headers: Record<string, string>) =>
        fetch(`${app.origin}${BASE}/o/shop/redrive`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ id, csrf }), headers: { cookie, ...headers } });

      const done = await post(redriven!, { origin: app.origin, 'sec-fetch-site': 'same-origin' });
      assert.equal(done.status, 303);
      assert.match(done.headers.get('location')!, new RegExp(`^${BASE}/o/shop/messages\\?state=dead&done=redriven&n=1$`));
      assert.equal((await store.query!.get(redriven!))!.state, 'due', 'redriven through the app');

      const forged = await post(kept!, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      assert.equal(forged.status, 403);
      assert.equal((await post(kept!, { 'sec-fetch-site': 'cross-site' })).status, 403, 'Sec-Fetch-Site alone says so');
      assert.equal((await post(kept!, { origin: 'https://evil.example' })).status, 403, 'Origin alone says so');
      assert.equal((await post(kept!, { origin: app.origin })).status, 303, 'while the same form from the dashboard\'s own page goes through');
      assert.equal((await post(kept!, { origin: app.origin, cookie: 'txbox_dash=forged.0000' })).status, 401);
    });
  });
}

describe('the dashboard page', () => {
  it('shows each mounting as it is tested here', () => {
    const page = readFileSync(new URL('../../docs/dashboard.md', import.meta.url), 'utf8');
    const section = page.slice(page.indexOf('## Mounting it'), page.indexOf('\n## ', page.indexOf('## Mounting it') + 1));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.equal(blocks.length, Object.keys(MOUNTINGS).length, 'one snippet per mounting');
    const squash = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '').join('\n');
    const source = squash(readFileSync(new URL(import.meta.url), 'utf8'));
    for (const block of blocks) assert.ok(source.includes(squash(block)), `this snippet of docs/dashboard.md is not what the test runs:\n${block}`);
  });
});
