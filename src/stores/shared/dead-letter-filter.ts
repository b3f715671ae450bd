import { invalidArgument } from '../../core/errors.js';
import type { DeadLetter, HeaderFilter } from '../../core/store.js';

/**
 * A `LIKE ... ESCAPE '!'` pattern for dead letters carrying header `name` = `value`. txbox stores
 * headers as `JSON.stringify` writes them, so the pair appears verbatim as `"name":"value"`; no
 * JSON function is needed (PostgreSQL 15 has none that tolerates a malformed row) and every SQL
 * dialect reads the same pattern. `matchesHeader` then checks the parsed headers exactly.
 */
export function headerPattern(filter: HeaderFilter): string {
  checkHeaderFilter(filter);
  const pair = `${JSON.stringify(filter.name)}:${JSON.stringify(filter.value)}`;
  return `%${pair.replace(/[!%_]/g, (ch) => `!${ch}`)}%`;
}

export function matchesHeader(d: DeadLetter, filter: HeaderFilter | undefined): boolean {
  return filter === undefined || d.headers[filter.name] === filter.value;
}

export function checkHeaderFilter(filter: HeaderFilter): void {
  if (!filter || typeof filter !== 'object') throw invalidArgument('header', filter, 'must be { name, value }');
  if (typeof filter.name !== 'string' || filter.name.length === 0) throw invalidArgument('header.name', filter.name, 'must be a non-empty string');
  if (typeof filter.value !== 'string') throw invalidArgument('header.value', filter.value, 'must be a string');
}
