import type { Producer } from 'txbox';
import { describeError } from '../../exit.js';

export interface OpenedTransport {
  readonly producer: Producer;
  /** `messaging.system` for the metrics. */
  readonly system: string;
  close(): Promise<void>;
}

/** Builds a producer; its factory's option errors name the transport's field (`outboxes[1].transport: ...`). */
export function build<P>(field: string, factory: () => P): P {
  try {
    return factory();
  } catch (error) {
    throw describeError(error, `${field}: `);
  }
}
