import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOutbox, parsePayload } from '../../src/core/index.js';
import { createMemoryStore } from '../../src/testing/index.js';
import { sleep } from '../support/env.js';
import { storeContract } from './contract.js';
import { queriesContract } from './queries-contract.js';

storeContract(queriesContract({
  name: 'memory',
  sql: false,
  async create(options = {}) {
    const store = createMemoryStore({ completion: options.completion, claimTimeoutMs: options.claimTimeoutMs });
    return {
      store,
      commit: (fn) => store.transaction(fn),
      rollback: (fn) =>
        store.transaction(async (tx) => {
          await fn(tx);
          throw new Error('rollback');
        }).catch((e: Error) => {
          if (e.message !== 'rollback') throw e;
        }),
      second: async () => store,
      rowCount: async () => store.rowCount(),
    };
  },
  async close() {},
}));

describe('memory store: dedup keys across concurrent transactions', () => {
  const overlapping = async (firstCommits: boolean) => {
    const store = createMemoryStore();
    const outbox = createOutbox({ store });
    let releaseFirst!: () => void;
    const firstWrote = new Promise<void>((written) => {
      void store
        .transaction(async (tx) => {
          await outbox.send(tx, { topic: 't', payload: 'first', dedupKey: 'd' });
          written();
          await new Promise<void>((r) => (releaseFirst = r));
          if (!firstCommits) throw new Error('rollback');
        })
        .catch(() => {});
    });
    await firstWrote;
    const second = store.transaction((tx) => outbox.send(tx, { topic: 't', payload: 'second', dedupKey: 'd' }));
    await sleep(20);
    releaseFirst();
    const { duplicates, ids } = await second;
    const batch = (await store.claim({ limit: 10 }))!;
    return { duplicate: duplicates.includes(ids[0]!), payloads: batch.messages.map((m) => parsePayload(m)) };
  };

  it('tells the second writer its message is a duplicate once the first commits', async () => {
    assert.deepEqual(await overlapping(true), { duplicate: true, payloads: ['first'] });
  });

  it('stores the second writer\'s message when the first rolls back', async () => {
    assert.deepEqual(await overlapping(false), { duplicate: false, payloads: ['second'] });
  });
});
