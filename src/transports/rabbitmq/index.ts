export { createRabbitMqProducer, type RabbitMqProducer, type RabbitMqProducerOptions } from './producer.js';
export { confirmChannelSource, type ConfirmChannelSource } from './channel-source.js';
export { consumeRabbitMq, type RabbitMqConsumerOptions } from './consumer.js';
export type { ConfirmChannelLike, ConsumeChannelLike, AmqpConnectionLike, AmqpMessageLike, AmqpPublishProperties, ReturnedMessageLike } from './types.js';
export type { ReceivedMessage, MessageHandler, Subscription, ConsumeErrorListener } from '../shared/received.js';
