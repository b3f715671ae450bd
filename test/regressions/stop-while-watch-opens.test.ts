/**
 * Found by the NestJS module test: `app.close()` right after the application started hung for
 * ever. The relay was stopped while its store's watch (PostgreSQL LISTEN) was still opening; the
 * watch loop then waited for an abort event that had already fired, so `relay.stop()` never
 * resolved and the LISTEN connection was never released (so `pool.end()` hung too).
 *
 * Run: node --import tsx --test test/regressions/stop-while-watch-opens.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRelay } from '../../src/core/index.js';
import { createMemoryStore, createRecordingProducer } from '../../src/testing/index.js';
import { sleep } from '../support/env.js';

test('relay.stop() called while the watch is opening resolves, and closes the watch', async () => {
  const store = createMemoryStore();
  let closed = 0;
  const watching = Object.assign(Object.create(store) as typeof store, {
    async watch() {
      await sleep(100); // LISTEN on a fresh connection takes a round trip or two
      return async () => void closed++;
    },
  });
  const relay = createRelay({ store: watching, producer: createRecordingProducer() });
  relay.start();
  const stopped = relay.stop().then(() => 'stopped' as const);
  const outcome = await Promise.race([stopped, sleep(2000).then(() => 'hung' as const)]);
  assert.equal(outcome, 'stopped');
  assert.equal(closed, 1, 'the watch opened after stop() is closed again');
});
