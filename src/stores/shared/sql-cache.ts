/**
 * A cache of generated SQL text, bounded by its total length: least recently used statements go
 * first. Writers build one statement per chunk shape and row count (up to 500 rows, several
 * shapes), and caching them all would keep about 100 MB of text alive for the process's life.
 */
export interface SqlCache {
  get(key: string, build: () => string): string;
  /** Characters of SQL held now. */
  readonly size: number;
}

export const SQL_CACHE_MAX_CHARS = 2_000_000;

export function sqlCache(maxChars = SQL_CACHE_MAX_CHARS): SqlCache {
  const entries = new Map<string, string>();
  let size = 0;
  return {
    get(key, build) {
      const hit = entries.get(key);
      if (hit !== undefined) {
        // Map keeps insertion order: moving the hit to the end makes the first entry the oldest.
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      const sql = build();
      if (sql.length > maxChars) return sql;
      entries.set(key, sql);
      size += sql.length;
      for (const [oldKey, old] of entries) {
        if (size <= maxChars) break;
        entries.delete(oldKey);
        size -= old.length;
      }
      return sql;
    },
    get size() {
      return size;
    },
  };
}
