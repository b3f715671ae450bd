/**
 * The few mqtt.js calls the MQTT transport makes, as structural types: txbox imports no driver.
 * An `MqttClient` from `mqtt.connectAsync(url, { protocolVersion: 5 })` fits.
 */
export interface MqttProperties {
  userProperties?: Record<string, string | string[]>;
  contentType?: string;
}

export interface MqttPublishOptionsLike {
  qos: 0 | 1 | 2;
  properties?: MqttProperties;
}

export interface MqttClientLike {
  /** False while mqtt.js is offline or reconnecting: publishing then would only queue. */
  readonly connected: boolean;
  readonly options: { protocolVersion?: number };
  publishAsync(topic: string, payload: Buffer, options: MqttPublishOptionsLike): Promise<unknown>;
}

export interface MqttPacketLike {
  cmd?: string;
  topic?: string;
  payload?: Buffer | string;
  qos?: number;
  properties?: MqttProperties;
}

/**
 * mqtt.js sends the PUBACK of a QoS 1 message only after `handleMessage` called back, so the
 * consumer helper wraps it: no handler success, no PUBACK.
 */
export interface MqttSubscriberLike {
  readonly options: { protocolVersion?: number; clean?: boolean; manualConnect?: boolean; connectTimeout?: number };
  readonly connected?: boolean;
  /** Set once `connect()` was called (mqtt.js creates the stream there): a connection is under way. */
  readonly stream?: unknown;
  connect?(): unknown;
  /** With a persistent session, the helper resumes it after a failed handler: `end`, then `reconnect`. */
  end?(force: boolean, options: object): unknown;
  reconnect?(): unknown;
  once?(event: 'connect', listener: () => void): unknown;
  removeListener?(event: 'connect', listener: () => void): unknown;
  handleMessage(packet: MqttPacketLike, callback: (error?: Error) => void): void;
  subscribeAsync(topic: string, options: { qos: 0 | 1 | 2 }): Promise<unknown>;
  unsubscribeAsync(topic: string): Promise<unknown>;
}
