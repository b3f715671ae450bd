import { TxboxError } from './errors.js';

/**
 * Every key an options type has, as a record the compiler checks for completeness: adding an
 * option to the interface without listing it here fails to compile, so the runtime list cannot
 * fall behind the type.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Refuses keys a factory does not know (`tabel`, `pollInterval`): a misspelt option would
 * otherwise be ignored in silence and its default used. The error names the key and the closest
 * known one. Call it first in each factory's resolver; `at` prefixes nested options (`columns`).
 */
export function rejectUnknownOptions<T>(options: unknown, known: OptionKeys<T>, at = ''): void {
  if (options === null || typeof options !== 'object') return;
  const names = Object.keys(known);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const field = at ? `${at}.${key}` : key;
    const near = closest(key, names);
    const hint = near === undefined ? `known options: ${names.join(', ')}` : `did you mean ${at ? `${at}.` : ''}${near}?`;
    throw new TxboxError('INVALID_OPTION', `option ${field} is not a known option (${hint})`, { field, value: (options as Record<string, unknown>)[key] });
  }
}

/** The known name at the smallest edit distance (case-insensitive), if it is close enough to be a typo. */
export function closest(key: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  // A prefix match (`pollInterval` for `pollIntervalMs`) counts as close whatever its length.
  const prefix = names.find((n) => n.toLowerCase().startsWith(key.toLowerCase()) || key.toLowerCase().startsWith(n.toLowerCase()));
  if (prefix !== undefined && bestDistance > 2) return prefix;
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance, with adjacent transpositions counting as one edit (`tabel` → `table`). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
