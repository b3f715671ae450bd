export { createNatsProducer, MSG_ID_HEADER, type NatsProducer, type NatsProducerOptions } from './producer.js';
export { consumeJetStream, type JetStreamConsumerOptions } from './consumer.js';
export type { JetStreamPublisherLike, NatsHeadersLike, PubAckLike, JetStreamConsumerLike, ConsumerMessagesLike, JsMsgLike, ReadHeadersLike, NatsStatusLike } from './types.js';
export type { ReceivedMessage, MessageHandler, Subscription, ConsumeErrorListener } from '../shared/received.js';
