export { createMemoryStore, MemoryTransaction, type MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { createFakeClock, type FakeClock } from './fake-clock.js';
export { createRecordingProducer, type RecordingProducer, type RecordingProducerOptions } from './recording-producer.js';
export { checkDelivery, type DeliveryCheck, type Sequenced } from './checker.js';
export { createMemoryInbox } from './memory-inbox.js';
export { createMemorySchedules } from './memory-schedules.js';
