import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Logger } from '../../src/core/index.js';
import { createWebhookHandler, createWebhookProducer } from '../../src/transports/http/index.js';
import { context, message } from './harness.js';

// A consumer helper whose handler fails is loud by default: with no onError the failure reaches
// the logger (the console unless told otherwise), never nowhere. Shown on the webhook handler,
// over real HTTP on loopback; every helper reports through the same transports/shared/report.ts.
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const servers: http.Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function failingEndpoint(options: { logger?: Logger | false }) {
  const server = http.createServer(createWebhookHandler({ secret: SECRET, handler: () => { throw new Error('handler broke'); }, ...options }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const m = message('orders.placed', { key: 'c1' });
  const result = await createWebhookProducer({ url, secret: SECRET }).produce([m], context());
  assert.deepEqual([...(result?.ok ?? [])], [], 'the receiver answered 500');
  return m;
}

const recording = () => {
  const records: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void records.push({ level, fields, message: msg });
  return { records, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
};

describe('consumer helpers report failed messages by default', () => {
  it('gives a passed logger a structured warning naming the message', async () => {
    const { records, logger } = recording();
    const m = await failingEndpoint({ logger });
    assert.equal(records.length, 1);
    assert.equal(records[0]!.level, 'warn');
    assert.deepEqual({ id: records[0]!.fields.id, topic: records[0]!.fields.topic, key: records[0]!.fields.key }, { id: m.id, topic: 'orders.placed', key: 'c1' });
    assert.equal((records[0]!.fields.err as Error).message, 'handler broke');
  });

  it('writes to the console when given nothing, and stays silent with logger: false', async () => {
    const seen: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void seen.push(args.join(' '));
    try {
      await failingEndpoint({});
      assert.equal(seen.length, 1);
      assert.match(seen[0]!, /webhook handler: a message could not be handled.*handler broke/);
      await failingEndpoint({ logger: false });
      assert.equal(seen.length, 1, 'logger: false is silent');
    } finally {
      console.warn = original;
    }
  });

  it('refuses a logger that is not one', () => {
    assert.throws(() => createWebhookHandler({ secret: SECRET, handler: () => {}, logger: 42 as never }), { code: 'INVALID_OPTION', field: 'logger' });
  });
});
