/**
 * Values built once per distinct key (a topic, an outbox) and reused: spans and instruments are
 * called for every batch or message, and rebuilding the same attribute object each time is work
 * and garbage for nothing. A value is never changed once built, so the SDK may keep it.
 * Bounded: past `max` keys (topic names without end) it starts over rather than grow.
 */
export class KeyedCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly build: (key: string) => T,
    private readonly max = 1000,
  ) {}

  get(key: string): T {
    let value = this.entries.get(key);
    if (value === undefined) {
      if (this.entries.size >= this.max) this.entries.clear();
      value = this.build(key);
      this.entries.set(key, value);
    }
    return value;
  }
}
