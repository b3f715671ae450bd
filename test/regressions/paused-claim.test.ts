/**
 * Found by the fault harness (scenario "throw, stall and pause at failpoints"): a relay whose
 * process is paused (SIGSTOP, a long GC, a stalled event loop) after the database answered its
 * claim but before the relay read the answer believes the claim is fresh: the expiry check in
 * deliverBatch measures the claim's age from the moment claim() returned, not from when it was
 * made. The relay then publishes a batch whose lease (or locking transaction) has already expired
 * and which another relay may be publishing at the same time. The acknowledgement is still fenced,
 * so nothing is lost, but the relay breaks its own rule "a worker paused past its claim must not
 * publish" and adds duplicates after every such pause.
 *
 * Run: node --import tsx --test test/regressions/paused-claim.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOutbox, createRelay, systemClock, type Clock, type RelayEvent } from '../../src/core/index.js';
import { createMemoryStore, createRecordingProducer } from '../../src/testing/index.js';

test('a relay paused while its claim was being answered does not publish the expired batch', async () => {
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset, sleep: systemClock.sleep };
  const store = createMemoryStore({ clock, claimTimeoutMs: 1000 });
  await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 't', key: 'k', payload: 1 }));

  // The claim is made (lease until now + 1000 ms), then the process is paused for 1.5 s before
  // the relay gets the answer: the lease has expired when it resumes.
  const paused = Object.create(store) as typeof store;
  paused.claim = async (request) => {
    const batch = await store.claim(request);
    offset += 1500;
    return batch;
  };
  const producer = createRecordingProducer();
  const events: RelayEvent[] = [];
  const relay = createRelay({ store: paused, producer, clock, produceTimeoutMs: 500, onEvent: (e) => events.push(e) });

  await relay.runOnce();

  assert.equal(producer.messages.length, 0, 'the expired batch was published');
  assert.ok(events.some((e) => e.type === 'batch.expired'), 'no batch.expired event');
});
