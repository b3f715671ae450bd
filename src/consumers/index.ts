export { createConsumers, type Consumers, type ConsumersOptions } from './consumers.js';
export { defineConsumer, type ConsumerDefinition, type ConsumeContext } from './definition.js';
export type { PublishInput } from './publish.js';
export type { TransactionRunner } from './dispatch.js';
