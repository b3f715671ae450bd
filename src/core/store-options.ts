import { invalidOption } from './errors.js';
import type { OptionKeys } from './option-keys.js';
import type { CompletionMode } from './store.js';

/** Options every store takes, validated the same way everywhere. */
export interface CommonStoreOptions {
  /** The outbox's name in its key; several outboxes in one process need distinct names. Default `default`. */
  name?: string;
  /** `delete` (default) removes delivered messages; `markProcessed` keeps them until cleanup. */
  completion?: CompletionMode;
  /** A claim held longer is abandoned and its messages go to another relay. Default 30 s. */
  claimTimeoutMs?: number;
}

/** For each store's list of known option keys (see rejectUnknownOptions). */
export const COMMON_STORE_OPTION_KEYS: OptionKeys<CommonStoreOptions> = { name: true, completion: true, claimTimeoutMs: true };

export interface ResolvedCommonStoreOptions {
  name: string;
  completion: CompletionMode;
  claimTimeoutMs: number;
}

export function resolveCommonStoreOptions(o: CommonStoreOptions): ResolvedCommonStoreOptions {
  const name = o.name ?? 'default';
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) {
    throw invalidOption('name', name, 'must be a non-empty string of at most 100 characters');
  }
  const completion = o.completion ?? 'delete';
  if (completion !== 'delete' && completion !== 'markProcessed') {
    throw invalidOption('completion', completion, "must be 'delete' or 'markProcessed'");
  }
  const claimTimeoutMs = o.claimTimeoutMs ?? 30_000;
  if (!(Number.isInteger(claimTimeoutMs) && claimTimeoutMs >= 100)) {
    throw invalidOption('claimTimeoutMs', claimTimeoutMs, 'must be an integer >= 100');
  }
  return { name, completion, claimTimeoutMs };
}

/** Validates the id list given to the dead-letter APIs. */
export function checkIds(field: string, ids: readonly string[]): void {
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
    throw invalidOption(field, ids, 'must be an array of message ids');
  }
}
