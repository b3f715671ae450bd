import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createWebhookHandler, createWebhookProducer, verifyWebhook } from '../../src/transports/http/index.js';
import type { ReceivedMessage } from '../../src/transports/shared/received.js';
import { context, message } from './harness.js';

/**
 * Interoperability with `standardwebhooks`, the Standard Webhooks reference library: what txbox
 * sends verifies with it, and what it signs verifies with txbox.
 */
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** A receiver that knows nothing of txbox: it verifies with the reference library, 204 or 401. */
async function referenceReceiver() {
  const verified: { body: Buffer; headers: Record<string, string>; parsed: unknown }[] = [];
  const rejected: string[] = [];
  const wh = new Webhook(SECRET);
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    try {
      verified.push({ body, headers, parsed: wh.verify(body, headers, { jsonParse: headers['content-type'] === 'application/json' }) });
      res.writeHead(204).end();
    } catch (error) {
      rejected.push((error as Error).message);
      res.writeHead(401).end();
    }
  });
  return { verified, rejected, ...(await listening(server)) };
}

async function listening(server: http.Server) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('HTTP webhooks and the standardwebhooks reference library', { timeout: 30_000 }, () => {
  it('txbox requests verify with the reference library, during a secret rotation too', async () => {
    const receiver = await referenceReceiver();
    try {
      const sent = message('orders.created', { key: 'o-1', headers: { 'x-tenant': 'acme' }, json: { total: 42, note: 'ü' } });
      // During a rotation: one signature per secret, and the reference library accepts either.
      const rotating = [`whsec_${randomBytes(32).toString('base64')}`, SECRET];
      const result = await createWebhookProducer({ url: receiver.url, secret: rotating }).produce([sent], context());
      assert.deepEqual([...result.ok], [sent.id], `rejected: ${receiver.rejected.join('; ')}`);
      assert.deepEqual(receiver.verified[0]!.parsed, { total: 42, note: 'ü' });
      assert.equal(receiver.verified[0]!.headers['webhook-id'], sent.id);
    } finally {
      await receiver.close();
    }
  });

  it('verifyWebhook accepts what the reference library signs, and returns the timestamp as a Date', () => {
    const wh = new Webhook(SECRET);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const body = '{"type":"ping"}';
    const headers = { 'webhook-id': 'msg_2Lh9', 'webhook-timestamp': String(at.getTime() / 1000), 'webhook-signature': wh.sign('msg_2Lh9', at, body) };
    const verified = verifyWebhook(SECRET, headers, body);
    assert.equal(verified.id, 'msg_2Lh9');
    assert.ok(verified.timestamp instanceof Date);
    assert.equal(verified.timestamp.getTime(), at.getTime());
    assert.throws(() => verifyWebhook(SECRET, headers, '{"type":"pong"}'), { field: 'webhook-signature' });
  });

  it('a binary payload fails the reference verifier as raw bytes, and verifies with bodyEncoding base64', async () => {
    const receiver = await referenceReceiver();
    const handled: ReceivedMessage[] = [];
    const txbox = await listening(http.createServer(createWebhookHandler({ secret: SECRET, handler: (m) => void handled.push(m) })));
    try {
      // Not valid UTF-8: the reference library decodes the body to text before signing it.
      const payload = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00, 0x80]);
      const sent = message('images.stored', { payload, contentType: 'image/png' });
      const raw = await createWebhookProducer({ url: receiver.url, secret: SECRET }).produce([sent], context());
      assert.equal(raw.failed?.length, 1, 'the reference library cannot verify non-UTF-8 bytes');
      assert.match(receiver.rejected[0]!, /signature/i);

      for (const url of [receiver.url, txbox.url]) {
        const result = await createWebhookProducer({ url, secret: SECRET, bodyEncoding: 'base64' }).produce([sent], context());
        assert.deepEqual([...result.ok], [sent.id]);
      }
      const got = receiver.verified[0]!;
      assert.equal(got.headers['content-type'], 'image/png');
      assert.equal(got.headers['txbox-encoding'], 'base64');
      assert.deepEqual(Buffer.from(got.body.toString('latin1'), 'base64'), payload, 'the reference receiver decodes the base64 body');
      assert.deepEqual(handled[0]!.payload, payload, 'the txbox handler decodes it by itself');
    } finally {
      await receiver.close();
      await txbox.close();
    }
  });
});
