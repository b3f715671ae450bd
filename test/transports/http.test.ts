import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createWebhookHandler, createWebhookProducer, verifyWebhook, verifyWebhookMessage } from '../../src/transports/http/index.js';
import { uniqueName } from './env.js';
import { transportContract } from './contract.js';
import { endToEnd } from './end-to-end.js';
import { context, message, type Arrived, type TransportHarness } from './harness.js';
import type { OwnBroker } from './support/processes.js';
import { silentServer } from './support/silent-peer.js';
import type { ReceivedMessage } from '../../src/transports/shared/received.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** Checks the Standard Webhooks signature with nothing but node:crypto, as any receiver could. */
function signatureValid(headers: http.IncomingHttpHeaders, body: Buffer): boolean {
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.`).update(body).digest('base64');
  return String(headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

/** An endpoint answering by the topic's suffix: `.fail` 500, `.refuse` 400, anything else 204. */
async function endpoint(port = 0) {
  const arrived: Arrived[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const h = req.headers;
    const topic = decodeURIComponent(String(h['txbox-topic']));
    if (!signatureValid(h, body)) return res.writeHead(401).end();
    if (topic.endsWith('.fail')) return res.writeHead(500).end('try later');
    if (topic.endsWith('.refuse')) return res.writeHead(400).end('bad payload');
    const names = String(h['txbox-headers'] ?? '').split(',').filter(Boolean);
    arrived.push({
      id: String(h['webhook-id']),
      topic,
      key: h['txbox-key'] === undefined ? null : decodeURIComponent(String(h['txbox-key'])),
      headers: Object.fromEntries(names.map((n) => [n, String(h[n.toLowerCase()])])),
      payload: body,
      contentType: h['content-type'] ?? null,
    });
    res.writeHead(204).end();
  });
  const listen = (p: number) => new Promise<void>((resolve) => server.listen(p, '127.0.0.1', resolve));
  await listen(port);
  const bound = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    port: bound,
    url: (m: { topic: string }) => `http://127.0.0.1:${bound}/hooks/${encodeURIComponent(m.topic)}`,
    async received(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (arrived.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return [...arrived];
    },
    close,
    reopen: () => listen(bound),
  };
}

function httpHarness(): TransportHarness {
  return {
    name: 'HTTP webhooks',
    features: { failure: 'retryable', restartSignal: 'SIGTERM' },
    async open(options = {}) {
      const e = await endpoint();
      const name = uniqueName('tx_http');
      return {
        producer: createWebhookProducer({ url: e.url, secret: SECRET, ...options }),
        topic: `${name}.ok`,
        failingTopic: `${name}.fail`,
        received: e.received,
        close: e.close,
      };
    },
    async silent({ publishTimeoutMs }) {
      const s = await silentServer();
      return { producer: createWebhookProducer({ url: `http://127.0.0.1:${s.port}/`, secret: SECRET, publishTimeoutMs }), close: s.close };
    },
    async own(options = {}) {
      // The "broker" is the receiving server: stopping it refuses connections until it listens again.
      const e = await endpoint();
      let up = true;
      const broker: OwnBroker = {
        port: e.port,
        dir: '',
        async start() {
          if (!up) await e.reopen();
          up = true;
        },
        async stop() {
          if (up) await e.close();
          up = false;
        },
        dispose: async () => broker.stop(),
      };
      const name = uniqueName('tx_http');
      return {
        broker,
        producer: createWebhookProducer({ url: e.url, secret: SECRET, ...options }),
        topic: `${name}.ok`,
        failingTopic: `${name}.fail`,
        received: e.received,
        close: () => broker.dispose(),
      };
    },
    async close() {},
  };
}

transportContract(httpHarness());

endToEnd({
  name: 'HTTP webhooks',
  async setup() {
    let handle: Parameters<typeof createWebhookHandler>[0]['handler'] = () => {};
    const server = http.createServer(createWebhookHandler({ secret: SECRET, handler: (m) => handle(m) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      producer: createWebhookProducer({ url: `http://127.0.0.1:${port}/hooks`, secret: SECRET }),
      topic: 'orders.created',
      async consume(handler) {
        handle = handler;
        return { stop: async () => void (handle = () => {}) };
      },
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  },
});

describe('HTTP webhook specifics', { timeout: 30_000 }, () => {
  it('rejects bad options with the option named, never echoing a secret', () => {
    assert.throws(() => createWebhookProducer({ url: 'ftp://x', secret: SECRET }), { code: 'INVALID_OPTION', field: 'url' });
    assert.throws(() => createWebhookProducer({ url: 'http://x', secret: 'whsec_c2hvcnQ=' }), (e: Error & { field?: string; value?: unknown }) => e.field === 'secret' && e.value === '[redacted]' && !e.message.includes('c2hvcnQ'));
    assert.throws(() => createWebhookProducer({ url: 'http://x', secret: 'plain' }), { code: 'INVALID_OPTION', field: 'secret' });
    assert.throws(() => createWebhookProducer({ url: 'http://x', secret: SECRET, headers: { 'bad header': 'x' } }), { code: 'INVALID_OPTION', field: 'headers' });
    assert.throws(() => createWebhookProducer({ url: 'http://x', secret: SECRET, publishTimeoutMs: -1 }), { code: 'INVALID_OPTION', field: 'publishTimeoutMs' });
  });

  it('classifies answers: 4xx permanent, except 408 and 429; 5xx and redirects retried', async () => {
    const statuses = [400, 401, 404, 408, 410, 429, 500, 503, 302];
    const server = http.createServer((req, res) => res.writeHead(Number(req.url!.slice(1)), { location: '/x' }).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const producer = createWebhookProducer({ url: (m) => `http://127.0.0.1:${port}/${m.topic}`, secret: SECRET });
      const batch = statuses.map((s) => message(String(s)));
      const result = await producer.produce(batch, context());
      const permanent = Object.fromEntries((result.failed ?? []).map((f) => [batch.find((m) => m.id === f.id)!.topic, f.permanent === true]));
      assert.deepEqual(permanent, { 400: true, 401: true, 404: true, 408: false, 410: true, 429: false, 500: false, 503: false, 302: false });
    } finally {
      server.close();
    }
  });

  it('passes Retry-After on to the relay as the retry delay', async () => {
    const later = new Date(Date.now() + 120_000).toUTCString();
    const server = http.createServer((req, res) => res.writeHead(req.url === '/429' ? 429 : 503, { 'retry-after': req.url === '/429' ? '7' : later }).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const producer = createWebhookProducer({ url: (m) => `http://127.0.0.1:${port}/${m.topic}`, secret: SECRET });
      const [a, b] = [message('429'), message('503')];
      const result = await producer.produce([a!, b!], context());
      const delay = new Map((result.failed ?? []).map((f) => [f.id, f.retryInMs]));
      assert.equal(delay.get(a!.id), 7000);
      assert.ok(Math.abs(delay.get(b!.id)! - 120_000) < 2000, `about two minutes, got ${delay.get(b!.id)}`);
    } finally {
      server.close();
    }
  });

  it('verifies Standard Webhooks signatures, rejecting tampering, replays and unknown secrets', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const id = 'msg_1';
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const body = Buffer.from('{"a":1}');
    const key = Buffer.from(SECRET.slice(6), 'base64');
    const sig = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,bm9wZQ== ${sig}` };
    assert.equal(verifyWebhook(SECRET, headers, body, { now }).id, id);
    assert.equal(verifyWebhook([other, SECRET], new Headers(headers), body, { now }).id, id, 'during a rotation');
    assert.throws(() => verifyWebhook(SECRET, headers, Buffer.from('{"a":2}'), { now }), { field: 'webhook-signature' });
    assert.throws(() => verifyWebhook(other, headers, body, { now }), { field: 'webhook-signature' });
    assert.throws(() => verifyWebhook(SECRET, headers, body, { now: now + 301_000 }), { field: 'webhook-timestamp' });
    assert.throws(() => verifyWebhook(SECRET, { ...headers, 'webhook-id': '' }, body, { now }), { field: 'webhook-id' });
  });

  it('answers 401 to an unsigned request and 413 to an oversized one, without calling the handler', async () => {
    let calls = 0;
    const server = http.createServer(createWebhookHandler({ secret: SECRET, maxBodyBytes: 10, handler: () => void calls++ }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const unsigned = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' });
      assert.equal(unsigned.status, 401);
      const big = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(100) });
      assert.equal(big.status, 413);
      assert.equal(calls, 0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('dead-letters a message with a header HTTP cannot carry', async () => {
    const e = await endpoint();
    try {
      const producer = createWebhookProducer({ url: e.url, secret: SECRET });
      const result = await producer.produce([message('t.ok', { headers: { 'webhook-id': 'spoof' } }), message('t.ok', { headers: { 'x-bad': 'line\nbreak' } })], context());
      assert.deepEqual(result.failed?.map((f) => f.permanent), [true, true]);
    } finally {
      await e.close();
    }
  });
});

/** A server that records each request as it arrived and answers 204: a captured request to replay. */
async function recorder() {
  const requests: { headers: Record<string, string>; body: Buffer }[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]!.toLowerCase()] = req.rawHeaders[i + 1]!;
    requests.push({ headers, body: Buffer.concat(chunks) });
    res.writeHead(204).end();
  });
  return { requests, ...(await listening(server)) };
}

async function listening(server: http.Server) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('HTTP webhook signatures cover what the receiver acts on', { timeout: 30_000 }, () => {
  it('refuses a captured request replayed with another topic, key, header or content type', async () => {
    const rec = await recorder();
    const handled: ReceivedMessage[] = [];
    const receiver = await listening(http.createServer(createWebhookHandler({ secret: SECRET, handler: (m) => void handled.push(m) })));
    try {
      const sent = message('orders.created', { key: 'customer-1', headers: { 'x-tenant': 'acme' } });
      const result = await createWebhookProducer({ url: rec.url, secret: SECRET }).produce([sent], context());
      assert.deepEqual([...result.ok], [sent.id]);
      const captured = rec.requests[0]!;
      const { host: _host, 'content-length': _length, connection: _connection, ...headers } = captured.headers;
      const replay = async (changed: Record<string, string>) => {
        const response = await fetch(receiver.url, { method: 'POST', headers: { ...headers, ...changed }, body: new Uint8Array(captured.body) });
        return response.status;
      };
      // The untouched request still verifies (within the timestamp tolerance): the baseline.
      assert.equal(await replay({}), 204);
      assert.equal(handled.length, 1);
      assert.deepEqual([handled[0]!.topic, handled[0]!.key, handled[0]!.headers], ['orders.created', 'customer-1', { 'x-tenant': 'acme' }]);
      const statuses = {
        topic: await replay({ 'txbox-topic': 'accounts.deleted' }),
        key: await replay({ 'txbox-key': 'customer-2' }),
        header: await replay({ 'x-tenant': 'evil' }),
        addedHeader: await replay({ 'x-role': 'admin', 'txbox-headers': 'x-tenant,x-role' }),
        droppedHeaders: await replay({ 'txbox-headers': '' }),
        contentType: await replay({ 'content-type': 'text/plain' }),
      };
      assert.deepEqual(statuses, { topic: 401, key: 401, header: 401, addedHeader: 401, droppedHeaders: 401, contentType: 401 });
      assert.equal(handled.length, 1, 'no tampered replay reached the handler');
    } finally {
      await rec.close();
      await receiver.close();
    }
  });

  it('verifyWebhookMessage returns the verified message, and names txbox-signature when it is missing or does not match', async () => {
    const rec = await recorder();
    try {
      const sent = message('t.ok', { key: 'k', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
      await createWebhookProducer({ url: rec.url, secret: SECRET }).produce([sent], context());
      const { headers, body } = rec.requests[0]!;
      const verified = verifyWebhookMessage(SECRET, headers, body);
      assert.ok(verified.timestamp instanceof Date);
      assert.deepEqual({ ...verified.message }, { id: sent.id, topic: 't.ok', key: 'k', headers: sent.headers, payload: Buffer.from(sent.payload), contentType: 'application/json' });
      const { 'txbox-signature': _signature, ...unsigned } = headers;
      // The Standard Webhooks check alone passes: it does not cover the topic.
      assert.equal(verifyWebhook(SECRET, { ...headers, 'txbox-topic': 'other' }, body).id, sent.id);
      assert.throws(() => verifyWebhookMessage(SECRET, { ...headers, 'txbox-topic': 'other' }, body), { code: 'INVALID_ARGUMENT', field: 'txbox-signature' });
      assert.throws(() => verifyWebhookMessage(SECRET, unsigned, body), { code: 'INVALID_ARGUMENT', field: 'txbox-signature' });
      assert.throws(() => verifyWebhookMessage(SECRET, headers, Buffer.from('{"n":0}')), { field: 'webhook-signature' });
    } finally {
      await rec.close();
    }
  });

  it('with bodyEncoding base64, sends a binary payload as base64 text and the handler gets its bytes back', async () => {
    const rec = await recorder();
    const handled: ReceivedMessage[] = [];
    const receiver = await listening(http.createServer(createWebhookHandler({ secret: SECRET, handler: (m) => void handled.push(m) })));
    try {
      // Not valid UTF-8: a verifier that reads the body as text would see other bytes.
      const payload = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]);
      const sent = message('blob.stored', { payload, contentType: 'application/octet-stream' });
      for (const url of [rec.url, receiver.url]) {
        const result = await createWebhookProducer({ url, secret: SECRET, bodyEncoding: 'base64' }).produce([sent], context());
        assert.deepEqual([...result.ok], [sent.id]);
      }
      const { headers, body } = rec.requests[0]!;
      assert.equal(body.toString('latin1'), payload.toString('base64'));
      assert.equal(headers['txbox-encoding'], 'base64');
      assert.equal(headers['content-type'], 'application/octet-stream');
      assert.deepEqual(handled[0]!.payload, payload);
      assert.equal(handled[0]!.contentType, 'application/octet-stream');
      // The encoding is signed: dropping it to make the receiver take the text as the payload fails.
      const { 'txbox-encoding': _encoding, ...plain } = headers;
      assert.throws(() => verifyWebhookMessage(SECRET, plain, body), { field: 'txbox-signature' });
    } finally {
      await rec.close();
      await receiver.close();
    }
  });

  it('refuses a bad bodyEncoding and fixed headers that would pass for the transport\'s own', () => {
    assert.throws(() => createWebhookProducer({ url: 'http://x', secret: SECRET, bodyEncoding: 'hex' as 'raw' }), { code: 'INVALID_OPTION', field: 'bodyEncoding' });
    assert.throws(() => createWebhookProducer({ url: 'http://x', secret: SECRET, headers: { 'TXBOX-Topic': 'x' } }), { code: 'INVALID_OPTION', field: 'headers.txbox-topic' });
    assert.throws(() => createWebhookProducer({ url: 'http://x', secret: SECRET, headers: { 'webhook-id': 'x' } }), { code: 'INVALID_OPTION', field: 'headers.webhook-id' });
  });
});
