// Jest in its default CommonJS mode with ts-jest, as `nest new` sets it up.
import { createOutbox, createRelay, TxboxError } from 'txbox';
import { Txbox } from 'txbox/nestjs';
import { createMemoryStore, createRecordingProducer } from 'txbox/testing';

describe('txbox under Jest (CommonJS)', () => {
  it('sends in a transaction and relays', async () => {
    const store = createMemoryStore();
    const producer = createRecordingProducer();
    const { ids } = await store.transaction((tx) => createOutbox({ store }).send(tx, { topic: 'jest', payload: 1 }));
    await createRelay({ store, producer }).runOnce();
    expect(producer.messages.map((m) => m.id)).toEqual(ids);
  });

  it('raises typed errors', async () => {
    expect(() => createOutbox({} as never)).toThrow(TxboxError);
    const txbox = new Txbox({ store: createMemoryStore() });
    await expect(Promise.resolve().then(() => txbox.send({ topic: 't', payload: 1 }))).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });
});
