import type { MqttSubscriberLike } from './types.js';

export interface SessionResumer {
  /** A handler failed: its message is unacknowledged, and comes back only with a resumed session. */
  failed(): void;
  /** A handler succeeded: the next failure waits the initial delay again. */
  succeeded(): void;
  /** Cancels a planned resume and waits for one in progress. */
  stop(): Promise<void>;
}

export interface ResumeOptions {
  /** Wait after a failure before resuming; failures within it share one resume. */
  delayMs: number;
  /** The wait doubles while failures keep coming (every success resets it), up to this. */
  maxDelayMs: number;
  /** Resolves once no handler is running, so its PUBACK goes out before the connection closes. */
  idle(): Promise<void>;
}

/**
 * MQTT forbids redelivery within a connection: the broker sends an unacknowledged QoS 1 message
 * again only when the session resumes. So after a failed handler the consumer helper resumes it:
 * a normal DISCONNECT (no will message), then a new connection with the same client id and stores
 * opened afresh (mqtt.js closes them on `end`). Bounded: at most one resume per wait, the wait
 * growing up to `maxDelayMs`, and one resume waits at most the client's connect timeout.
 */
export function sessionResumer(client: MqttSubscriberLike, options: ResumeOptions): SessionResumer {
  let timer: NodeJS.Timeout | undefined;
  let cycle: Promise<void> | undefined;
  let failedDuringCycle = false;
  let consecutive = 0;
  let stopped = false;

  const plan = () => {
    const wait = Math.min(options.delayMs * 2 ** Math.min(consecutive, 20), options.maxDelayMs);
    consecutive++;
    timer = setTimeout(() => {
      timer = undefined;
      cycle = resume().finally(() => {
        cycle = undefined;
        // A redelivered message may fail again before the resume has settled: plan the next one.
        if (failedDuringCycle && !stopped) {
          failedDuringCycle = false;
          plan();
        }
      });
    }, wait);
  };

  const resume = async () => {
    await options.idle();
    // Offline already: mqtt.js reconnects by itself (reconnectPeriod), and that resumes the session.
    if (stopped || !client.connected) return;
    const connected = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(deadline);
        client.removeListener?.('connect', done);
        resolve();
      };
      const deadline = setTimeout(done, client.options.connectTimeout ?? 30_000);
      client.once?.('connect', done);
    });
    client.end?.(false, {});
    // Called while `end` is under way, mqtt.js runs it once the stores are closed (its deferred reconnect).
    client.reconnect?.();
    await connected;
  };

  return {
    failed() {
      if (stopped) return;
      if (cycle) failedDuringCycle = true;
      else if (!timer) plan();
    },
    succeeded() {
      consecutive = 0;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await cycle;
    },
  };
}
