export { createConsumers, type Consumers, type ConsumersOptions } from './consumers.js';
export { defineConsumer, type ConsumerDefinition, type ConsumeContext } from './definition.js';
export type { PublishInput } from './publish.js';
export type { TransactionRunner } from './dispatch.js';
export type { ScheduleDefinition } from './schedule.js';
export { SCHEDULE_HEADER, SCHEDULED_FOR_HEADER } from './schedule.js';
