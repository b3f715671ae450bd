export { createMqttProducer, type MqttProducer, type MqttProducerOptions } from './producer.js';
export { consumeMqtt, topicMatches, type MqttConsumerOptions } from './consumer.js';
export type { MqttClientLike, MqttSubscriberLike, MqttPacketLike, MqttPublishOptionsLike, MqttProperties } from './types.js';
export type { ReceivedMessage, MessageHandler, Subscription, ConsumeErrorListener } from '../shared/received.js';
