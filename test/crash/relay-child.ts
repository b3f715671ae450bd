/**
 * A relay process for the crash test. It records every message it publishes as a line
 * "<key> <seq>" in a sink file BEFORE acknowledging, and pauses a little inside each batch so a
 * SIGKILL lands between publishing and acknowledging.
 */
import { appendFileSync } from 'node:fs';
import { createRelay, parsePayload } from '../../src/core/index.js';
import { openCrashStore, type CrashCase } from './stores.js';

const [config, sink] = [JSON.parse(process.argv[2]!) as CrashCase, process.argv[3]!];
const { store, close } = await openCrashStore(config);
const relay = createRelay({
  store,
  batchSize: 40,
  pollIntervalMs: 50,
  produceTimeoutMs: Math.floor(config.claimTimeoutMs / 2),
  producer: async (batch) => {
    for (let i = 0; i < batch.length; i++) {
      const { key, seq } = parsePayload<{ key: string; seq: number }>(batch[i]!);
      appendFileSync(sink, `${key} ${seq}\n`);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
    }
  },
});
relay.start();
process.on('SIGTERM', () => void relay.stop().then(close).then(() => process.exit(0)));
