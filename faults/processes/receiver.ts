/**
 * A webhook receiver: txbox's webhook handler on a node:http server, applying the counted effect
 * through the inbox (in its own SQLite database, another service's). The harness switches its
 * behaviour through a small mode file, read on every request:
 * - `ok`: handles at once, answers 204;
 * - `slow`: holds each request `holdMs` (beyond the sender's deadline) before handling it, so the
 *   sender gives up, retries, and the late original still takes effect: a duplicate delivery;
 * - `5xx`: half of the requests get 503 before anything is read, the other half are handled (the
 *   effect commits) and then answered 500, so the sender retries what already took effect.
 * Down is the harness killing this process (SIGKILL) and starting it again on the same port.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createWebhookHandler } from '../../src/transports/http/index.js';
import type { ReceivedMessage } from '../../src/transports/shared/received.js';
import { errorText, sleep } from '../util.js';
import { parseConfig, type ReceiverConfig, type ReceiverMode, type Receipt } from './config.js';
import { openEffects } from './effects.js';
import { createFailpoints } from './failpoints.js';
import { emit } from './protocol.js';

const cfg = parseConfig<ReceiverConfig>();
const effects = await openEffects({ ...cfg, failpoints: [], checkpoint: '', chunk: 1, received: cfg.received, sink: { kind: 'file', path: '' } }, createFailpoints([]));
const mode = (): ReceiverMode => (existsSync(cfg.modeFile) ? (JSON.parse(readFileSync(cfg.modeFile, 'utf8')) as ReceiverMode) : { kind: 'ok' });
let received = 0;

/** Effects retry until they commit: a busy SQLite file delays the answer, never skips the effect. */
async function apply(receipt: Receipt): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await effects.apply([receipt]);
    } catch (error) {
      if (attempt === 1) emit({ ev: 'consumer', type: 'effect.failed', error: errorText(error) });
      await sleep(Math.min(1000, 20 * attempt));
    }
  }
}

class AnswerLost extends Error {}

const handler = async (m: ReceivedMessage) => {
  const now = mode();
  if (now.kind === 'slow') await sleep(now.holdMs);
  const p = JSON.parse(m.payload.toString('utf8')) as { key: string; v: number };
  const receipt: Receipt = { id: m.id, key: p.key, v: p.v, by: cfg.name, t: Date.now() };
  appendFileSync(cfg.received, `${JSON.stringify(receipt)}\n`);
  await apply(receipt);
  emit({ ev: 'progress', offset: 0, received: ++received });
  if (now.kind === '5xx') throw new AnswerLost('the effect committed; the answer is a 500');
};

const webhook = createWebhookHandler({ secret: cfg.secret, handler, logger: false });
let flip = 0;
const server = http.createServer((req, res) => {
  if (mode().kind === '5xx' && flip++ % 2 === 0) {
    res.writeHead(503, { 'content-length': '0' }).end();
    req.resume();
    return;
  }
  webhook(req, res);
});
server.listen(cfg.port, '127.0.0.1', () => emit({ ev: 'ready' }));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void effects.close().finally(() => process.exit(0));
});
