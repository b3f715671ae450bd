/**
 * In-process wake-up: stores nudge it after a commit they made, relays listen. A nudge costs a
 * function call per listener and nothing in the database, unlike NOTIFY.
 */
export class WakeChannel {
  readonly #listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  nudge(): void {
    for (const listener of this.#listeners) listener();
  }
}
