/**
 * A consumer process: reads what the relays published (the sink file, or a broker) and applies
 * the counted effect through the inbox. It acknowledges only after its effect transaction
 * committed, so a crash anywhere means redelivery, and the inbox must make that a no-op.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { errorText, sleep } from '../util.js';
import { parseConfig, type ConsumerConfig, type Receipt } from './config.js';
import { openEffects } from './effects.js';
import { createFailpoints } from './failpoints.js';
import { emit } from './protocol.js';

const cfg = parseConfig<ConsumerConfig>();
const fp = createFailpoints(cfg.failpoints);
const effects = await openEffects(cfg, fp);
let stopping = false;
process.on('SIGTERM', () => (stopping = true));

/** Applies receipts until it succeeds: a database outage delays the consumer, never skips a message. */
async function applyRetrying(receipts: readonly Receipt[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await effects.apply(receipts);
    } catch (error) {
      if (attempt === 1 || attempt % 20 === 0) emit({ ev: 'consumer', type: 'effect.failed', error: errorText(error) });
      await sleep(Math.min(1000, 20 * attempt));
    }
  }
}

async function tailFile(path: string): Promise<void> {
  let offset = existsSync(cfg.checkpoint) ? (JSON.parse(readFileSync(cfg.checkpoint, 'utf8')) as { offset: number }).offset : 0;
  const buffer = Buffer.alloc(1 << 20);
  let pending: Receipt[] = [];
  let pendingEnd = offset;
  while (!stopping) {
    if (pending.length === 0) {
      const chunk = readFrom(path, offset, buffer);
      const end = chunk.lastIndexOf('\n');
      if (end < 0) {
        await sleep(20);
        continue;
      }
      pending = chunk.slice(0, end).split('\n').map((line) => JSON.parse(line) as Receipt);
      pendingEnd = offset + Buffer.byteLength(chunk.slice(0, end + 1));
    }
    // Apply in chunks; the read offset is acknowledged once every chunk of the read committed.
    for (let i = 0; i < pending.length; i += cfg.chunk) await applyRetrying(pending.slice(i, i + cfg.chunk));
    offset = pendingEnd;
    pending = [];
    writeFileSync(`${cfg.checkpoint}.tmp`, JSON.stringify({ offset }));
    renameSync(`${cfg.checkpoint}.tmp`, cfg.checkpoint);
    emit({ ev: 'progress', offset });
  }
}

function readFrom(path: string, offset: number, buffer: Buffer): string {
  if (!existsSync(path)) return '';
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

emit({ ev: 'ready' });
if (cfg.sink.kind === 'file') {
  await tailFile(cfg.sink.path);
} else {
  const { consumeBroker } = await import('./broker-sources.js');
  await consumeBroker(cfg, applyRetrying, () => stopping);
}
await effects.close().catch(() => {});
emit({ ev: 'stopped' });
process.exit(0);
